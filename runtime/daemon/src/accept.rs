//! Accepting and serving connections so that no client can stall the daemon: one accept loop
//! per listener, all sharing one cap on open connections (at the cap a loop waits for a
//! connection to close before it accepts again, and says so once); accept errors (`EMFILE`
//! when descriptors run out) are retried after a delay that doubles from 5 ms to 1 s, as Go's
//! `net/http` does, never in a hot loop; a TLS handshake and a request's headers each have a
//! deadline ([`Limits`]). Each connection is one hyper HTTP/1 connection with upgrades; its
//! [`Slot`] travels with every request so that a hijacked stream keeps counting against the
//! cap until it ends. It never parses a request (that is `server.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::limits::Limits;
use crate::listen::Listener;
use crate::Context;

/// One open connection's place under the cap, shared by the connection and any stream
/// hijacked from it; the place frees when the last holder drops it.
pub type Slot = Arc<OwnedSemaphorePermit>;

/// Starts one accept loop per listener, all under one connection cap.
pub fn accept_all(listeners: Vec<Listener>, ctx: Arc<Context>, limits: Limits) -> JoinSet<()> {
    let slots = Arc::new(Slots::new(limits.connections()));
    tracing::debug!(max = slots.cap, "connection cap");
    let mut set = JoinSet::new();
    for listener in listeners {
        set.spawn(accept(
            listener,
            Arc::clone(&ctx),
            Arc::clone(&slots),
            limits,
        ));
    }
    set
}

async fn accept(listener: Listener, ctx: Arc<Context>, slots: Arc<Slots>, limits: Limits) {
    let mut backoff = Backoff::default();
    loop {
        let slot = slots.take().await;
        let accepted = match &listener {
            Listener::Unix(l) => l.accept().await.map(|(s, _)| Accepted::Plain(Box::new(s))),
            Listener::Tcp(l) => l.accept().await.map(|(s, _)| Accepted::Plain(Box::new(s))),
            Listener::Tls(l, acceptor) => {
                let acceptor = acceptor.clone();
                l.accept()
                    .await
                    .map(|(s, peer)| Accepted::Tls(s, peer, acceptor))
            }
        };
        let accepted = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                drop(slot);
                let delay = backoff.next_delay();
                tracing::warn!("accept: {e}; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        backoff.reset();
        let ctx = Arc::clone(&ctx);
        match accepted {
            Accepted::Plain(stream) => {
                tokio::spawn(serve(stream, ctx, slot, limits));
            }
            Accepted::Tls(stream, peer, acceptor) => {
                let handshake = acceptor.accept(stream);
                tokio::spawn(async move {
                    match tokio::time::timeout(limits.tls_handshake_timeout, handshake).await {
                        Ok(Ok(tls)) => serve(tls, ctx, slot, limits).await,
                        Ok(Err(e)) => tracing::info!(%peer, "tls handshake refused: {e}"),
                        Err(_) => tracing::info!(%peer, "tls handshake timed out"),
                    }
                });
            }
        }
    }
}

/// A stream both ways, whatever the socket.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

enum Accepted {
    Plain(Box<dyn Io>),
    Tls(
        tokio::net::TcpStream,
        std::net::SocketAddr,
        tokio_rustls::TlsAcceptor,
    ),
}

/// Serves one connection until it closes, or until it is upgraded (the hijacked stream then
/// holds its own clone of the slot).
async fn serve<S>(stream: S, ctx: Arc<Context>, slot: OwnedSemaphorePermit, limits: Limits)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let slot: Slot = Arc::new(slot);
    let service = service_fn(move |mut req| {
        req.extensions_mut().insert(Arc::clone(&slot));
        let ctx = Arc::clone(&ctx);
        async move { Ok::<_, std::convert::Infallible>(crate::server::handle(ctx, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    match conn.await {
        Err(e) if e.is_timeout() => tracing::info!(
            "closed a connection that sent no complete request headers within {:?}",
            limits.header_read_timeout
        ),
        Err(e) => tracing::debug!("connection: {e}"),
        Ok(()) => {}
    }
}

/// The connection cap.
struct Slots {
    free: Arc<Semaphore>,
    cap: usize,
    /// Whether the cap was reached and not yet left, so that it is logged once per episode.
    full: AtomicBool,
}

impl Slots {
    fn new(cap: usize) -> Slots {
        Slots {
            free: Arc::new(Semaphore::new(cap)),
            cap,
            full: AtomicBool::new(false),
        }
    }

    /// A free place, waiting for one when all are taken.
    async fn take(&self) -> OwnedSemaphorePermit {
        if let Ok(slot) = Arc::clone(&self.free).try_acquire_owned() {
            if self.full.swap(false, Ordering::Relaxed) {
                tracing::info!("connections below the limit of {} again", self.cap);
            }
            return slot;
        }
        if !self.full.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "connection limit reached: {} connections are open; new connections wait \
                 until one closes",
                self.cap
            );
        }
        let slot = Arc::clone(&self.free).acquire_owned().await;
        slot.expect("the connection semaphore is never closed")
    }
}

/// Go's `net/http` accept retry delays: 5 ms, doubling on each failure in a row, at most 1 s.
#[derive(Debug, Default)]
struct Backoff {
    last: Option<Duration>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    fn next_delay(&mut self) -> Duration {
        let next = self.last.map_or(Self::FIRST, |d| (d * 2).min(Self::MAX));
        self.last = Some(next);
        next
    }

    fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_retries_back_off_as_go_does() {
        let mut b = Backoff::default();
        let delays: Vec<u128> = (0..10).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.next_delay(), Backoff::FIRST);
    }

    #[tokio::test]
    async fn the_cap_holds_until_a_slot_frees() {
        let slots = Arc::new(Slots::new(2));
        let (a, _b) = (slots.take().await, slots.take().await);
        let waiting = tokio::spawn({
            let slots = Arc::clone(&slots);
            async move { slots.take().await }
        });
        for _ in 0..100 {
            if slots.full.load(Ordering::Relaxed) {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(slots.full.load(Ordering::Relaxed));
        assert!(!waiting.is_finished());
        drop(a);
        let _c = waiting.await.unwrap();
        assert_eq!(slots.free.available_permits(), 0);
    }
}
