//! A request body handed, as it arrives, to a blocking consumer (a `docker load` archive, a
//! `docker cp` archive): the connection's chunks go through a bounded channel, so a slow
//! consumer slows the upload instead of buffering it, and a consumer that stops early (it
//! refused the archive) stops the feeding.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::mpsc;

/// How many body chunks may wait for the consumer before the upload waits for it.
const BACKLOG: usize = 16;

/// The upload as the consumer reads it: chunks from the connection, on a blocking thread.
pub struct Upload {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    chunk: Bytes,
}

impl std::io::Read for Upload {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.chunk = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// The reader for the consumer, and the future that feeds it from `body` (run both at once).
pub fn upload(
    mut body: Incoming,
    what: &'static str,
) -> (Upload, impl std::future::Future<Output = ()>) {
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(BACKLOG);
    let feeding = async move {
        while let Some(frame) = body.frame().await {
            let chunk = match frame {
                Ok(frame) => match frame.into_data() {
                    Ok(data) => Ok(data),
                    Err(_) => continue,
                },
                Err(e) => Err(std::io::Error::other(format!("reading the {what}: {e}"))),
            };
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
    };
    (
        Upload {
            rx,
            chunk: Bytes::new(),
        },
        feeding,
    )
}
