//! Accepting and serving connections so that no client can stall the daemon: one accept loop
//! per listener, all sharing one cap on open connections. At the cap the connection that has
//! been idle longest (no request in flight: a client that connected and sent nothing, or a
//! keep-alive between requests) is asked to close, so a flood of idle connections cannot keep
//! a new client out; when none is idle the loop waits for one to close, and says so once.
//! Accept errors (`EMFILE`
//! when descriptors run out) are retried after a delay that doubles from 5 ms to 1 s, as Go's
//! `net/http` does, never in a hot loop; a TLS handshake and a request's headers each have a
//! deadline ([`Limits`]). Each connection is one hyper HTTP/1 connection with upgrades; its
//! [`Slot`] travels with every request so that a hijacked stream keeps counting against the
//! cap until it ends. It never parses a request (that is `server.rs`).

use std::collections::HashMap;
use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustix::net::RecvFlags;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::limits::Limits;
use crate::listen::Listener;
use crate::Context;

/// One open connection's place under the cap, shared by the connection and any stream
/// hijacked from it; the place frees when the last holder drops it.
pub type Slot = Arc<OwnedSemaphorePermit>;

/// Starts one accept loop per listener, all under one connection cap.
pub fn accept_all(listeners: Vec<Listener>, ctx: Arc<Context>, limits: Limits) -> JoinSet<()> {
    let slots = Arc::new(Connections::new(limits.connections()));
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

async fn accept(listener: Listener, ctx: Arc<Context>, slots: Arc<Connections>, limits: Limits) {
    let mut backoff = Backoff::default();
    loop {
        let slot = slots.take().await;
        let accepted = match &listener {
            Listener::Unix(l) => l.accept().await.map(|(s, _)| Accepted::Unix(s)),
            Listener::Tcp(l) => l.accept().await.map(|(s, _)| Accepted::Tcp(s)),
            Listener::Tls(l, acceptor) => l
                .accept()
                .await
                .map(|(s, peer)| Accepted::Tls(s, peer, acceptor.clone())),
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
        let conns = Arc::clone(&slots);
        tokio::spawn(connection(accepted, Arc::clone(&ctx), conns, slot, limits));
    }
}

/// A connection as accepted, before anything is read from it.
enum Accepted {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
    Tls(
        tokio::net::TcpStream,
        std::net::SocketAddr,
        tokio_rustls::TlsAcceptor,
    ),
}

/// One connection's life. Until its first byte arrives it is only a socket and this task (no
/// HTTP state, no buffers), so thousands of idle connections cost little memory; it waits at
/// most the header timeout for that byte, and gives up its place at once when asked to at the
/// cap. Then TLS (with its own deadline) and HTTP.
async fn connection(
    accepted: Accepted,
    ctx: Arc<Context>,
    conns: Arc<Connections>,
    slot: OwnedSemaphorePermit,
    limits: Limits,
) {
    let (id, close) = conns.register();
    let registered = Registered(Arc::clone(&conns), id);
    let first_byte = async {
        match &accepted {
            Accepted::Unix(s) => first_byte(s, || s.readable(), |f| s.try_io(READABLE, f)).await,
            Accepted::Tcp(s) | Accepted::Tls(s, _, _) => {
                first_byte(s, || s.readable(), |f| s.try_io(READABLE, f)).await
            }
        }
    };
    tokio::select! {
        waited = tokio::time::timeout(limits.header_read_timeout, first_byte) => {
            if waited.is_err() {
                tracing::info!(
                    "closed a connection that sent nothing within {:?}",
                    limits.header_read_timeout
                );
                return;
            }
        }
        () = close.notified() => return,
    }
    let http = Http {
        ctx,
        conns,
        slot,
        limits,
        close,
        registered,
    };
    // Boxed: the HTTP and TLS state would otherwise be part of every waiting connection's
    // future, tens of kilobytes each before a byte was sent.
    match accepted {
        Accepted::Unix(stream) => Box::pin(serve(stream, http)).await,
        Accepted::Tcp(stream) => Box::pin(serve(stream, http)).await,
        Accepted::Tls(stream, peer, acceptor) => Box::pin(tls(stream, peer, acceptor, http)).await,
    }
}

async fn tls(
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    http: Http,
) {
    let handshake = acceptor.accept(stream);
    match tokio::time::timeout(http.limits.tls_handshake_timeout, handshake).await {
        Ok(Ok(tls)) => serve(tls, http).await,
        Ok(Err(e)) => tracing::info!(%peer, "tls handshake refused: {e}"),
        Err(_) => tracing::info!(%peer, "tls handshake timed out"),
    }
}

const READABLE: tokio::io::Interest = tokio::io::Interest::READABLE;

/// Waits until `socket` has a byte to read (or its peer closed). Readiness alone is not
/// enough: a new socket may be reported readable before anything arrived, so a peek (which
/// consumes nothing) confirms it, and a false alarm clears the readiness and waits again.
async fn first_byte<S, R, T>(socket: &S, readable: impl Fn() -> R, try_io: T) -> io::Result<()>
where
    S: AsFd,
    R: std::future::Future<Output = io::Result<()>>,
    T: Fn(&mut dyn FnMut() -> io::Result<usize>) -> io::Result<usize>,
{
    loop {
        readable().await?;
        let mut peek = || {
            let flags = RecvFlags::PEEK | RecvFlags::DONTWAIT;
            let mut byte = [0u8; 1];
            rustix::net::recv(socket.as_fd(), &mut byte, flags)
                .map(|(n, _)| n)
                .map_err(io::Error::from)
        };
        match try_io(&mut peek) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

/// What serving one connection over HTTP needs besides the stream.
struct Http {
    ctx: Arc<Context>,
    conns: Arc<Connections>,
    slot: OwnedSemaphorePermit,
    limits: Limits,
    /// The request to close at the cap.
    close: Arc<Notify>,
    /// The connection's entry in the table, removed when this ends.
    registered: Registered,
}

/// Serves one connection until it closes, is asked to close at the cap (then it finishes what
/// is in flight first), or is upgraded (the hijacked stream then holds its own clone of the
/// slot, and no longer counts as idle).
async fn serve<S>(stream: S, http: Http)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Http {
        ctx,
        conns,
        slot,
        limits,
        close,
        registered,
    } = http;
    let id = registered.1;
    let slot: Slot = Arc::new(slot);
    let service = service_fn(move |mut req| {
        req.extensions_mut().insert(Arc::clone(&slot));
        let ctx = Arc::clone(&ctx);
        let conns = Arc::clone(&conns);
        async move {
            conns.begin(id);
            let response = crate::server::handle(ctx, req).await;
            conns.end(id);
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = close.notified() => {
            // Idle: hyper closes at once; a response still being written is finished first.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    match result {
        Err(e) if e.is_timeout() => tracing::info!(
            "closed a connection that sent no complete request headers within {:?}",
            limits.header_read_timeout
        ),
        Err(e) => tracing::debug!("connection: {e}"),
        Ok(()) => {}
    }
}

/// Takes a connection out of the table when it ends, however it ends.
struct Registered(Arc<Connections>, u64);

impl Drop for Registered {
    fn drop(&mut self) {
        let mut table = self.0.table.lock().expect("connection table");
        if table.conns.remove(&self.1).is_some_and(|c| c.asked) {
            table.closing -= 1;
        }
    }
}

/// The connection cap, and the open connections with what each is doing.
struct Connections {
    free: Arc<Semaphore>,
    cap: usize,
    /// Whether the cap was reached and not yet left, so that it is logged once per episode.
    full: AtomicBool,
    table: Mutex<Table>,
    next_id: AtomicU64,
}

/// The open connections, and how many of them were asked to close and have not yet.
#[derive(Default)]
struct Table {
    conns: HashMap<u64, Conn>,
    closing: usize,
}

/// One served connection.
struct Conn {
    /// Requests whose handler is running.
    in_flight: usize,
    /// Since when nothing has been in flight; `None` while a request is.
    idle_since: Option<Instant>,
    /// Asks the connection to close (at the cap).
    close: Arc<Notify>,
    /// Already asked: not a victim a second time.
    asked: bool,
}

impl Connections {
    /// How long the accept loop waits at the cap before it asks another idle connection to
    /// close (the one asked may have been finishing a response).
    const RETRY: Duration = Duration::from_millis(50);

    fn new(cap: usize) -> Connections {
        Connections {
            free: Arc::new(Semaphore::new(cap)),
            cap,
            full: AtomicBool::new(false),
            table: Mutex::new(Table::default()),
            next_id: AtomicU64::new(0),
        }
    }

    /// A free place. At the cap: the connection idle longest is asked to close, and the loop
    /// takes its place; with none idle it waits for any to close.
    async fn take(&self) -> OwnedSemaphorePermit {
        if let Ok(slot) = Arc::clone(&self.free).try_acquire_owned() {
            if self.full.swap(false, Ordering::Relaxed) {
                tracing::info!("connections below the limit of {} again", self.cap);
            }
            return slot;
        }
        if !self.full.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "connection limit reached: {} connections are open; the ones idle longest \
                 are closed to make room, and new connections wait while none is idle",
                self.cap
            );
        }
        loop {
            self.close_idlest(self.batch());
            let waiting = Arc::clone(&self.free).acquire_owned();
            if let Ok(slot) = tokio::time::timeout(Self::RETRY, waiting).await {
                return slot.expect("the connection semaphore is never closed");
            }
        }
    }

    fn register(&self) -> (u64, Arc<Notify>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(Notify::new());
        let conn = Conn {
            in_flight: 0,
            idle_since: Some(Instant::now()),
            close: Arc::clone(&close),
            asked: false,
        };
        let mut table = self.table.lock().expect("connection table");
        table.conns.insert(id, conn);
        (id, close)
    }

    fn begin(&self, id: u64) {
        if let Some(conn) = self
            .table
            .lock()
            .expect("connection table")
            .conns
            .get_mut(&id)
        {
            conn.in_flight += 1;
            conn.idle_since = None;
        }
    }

    fn end(&self, id: u64) {
        if let Some(conn) = self
            .table
            .lock()
            .expect("connection table")
            .conns
            .get_mut(&id)
        {
            conn.in_flight = conn.in_flight.saturating_sub(1);
            if conn.in_flight == 0 {
                conn.idle_since = Some(Instant::now());
            }
        }
    }

    /// How many connections to have asked to close at once when at the cap: a flood of idle
    /// connections queued behind the cap then drains in a few rounds rather than one
    /// connection a round, so a client queued behind it waits milliseconds, not seconds.
    fn batch(&self) -> usize {
        (self.cap / 16).max(1)
    }

    /// Asks the connections idle longest to close, until `want` of them are closing. Scans the
    /// table only when more must be asked, so at the cap an accept costs a lock, not a scan.
    fn close_idlest(&self, want: usize) {
        let mut table = self.table.lock().expect("connection table");
        let Some(more) = want.checked_sub(table.closing).filter(|n| *n > 0) else {
            return;
        };
        let mut idle: Vec<(Instant, &mut Conn)> = table
            .conns
            .values_mut()
            .filter(|c| !c.asked)
            .filter_map(|c| c.idle_since.map(|since| (since, c)))
            .collect();
        idle.sort_unstable_by_key(|(since, _)| *since);
        let mut asked = 0;
        for (_, conn) in idle.into_iter().take(more) {
            conn.asked = true;
            conn.close.notify_one();
            asked += 1;
        }
        table.closing += asked;
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

    /// Whether `close` was notified (a stored permit completes `notified` at its first poll).
    async fn asked(close: &Notify) -> bool {
        tokio::time::timeout(Duration::ZERO, close.notified())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn the_connection_idle_longest_is_asked_to_close_first() {
        let conns = Connections::new(3);
        let (busy, busy_close) = conns.register();
        conns.begin(busy);
        let (_old, old_close) = conns.register();
        let (_new, new_close) = conns.register();
        conns.close_idlest(1);
        assert!(asked(&old_close).await);
        assert!(!asked(&new_close).await && !asked(&busy_close).await);
        conns.close_idlest(1);
        assert!(!asked(&new_close).await, "one is closing already");
        conns.close_idlest(2);
        assert!(asked(&new_close).await);
        conns.close_idlest(3);
        assert!(
            !asked(&busy_close).await,
            "a busy connection is never asked"
        );
        conns.end(busy);
        conns.close_idlest(3);
        assert!(
            asked(&busy_close).await,
            "once its request ended it is idle"
        );
    }

    #[tokio::test]
    async fn at_the_cap_a_new_client_gets_the_place_of_an_idle_one() {
        let conns = Arc::new(Connections::new(1));
        let first = conns.take().await;
        let (id, close) = conns.register();
        let served = tokio::spawn({
            // The idle connection closes when asked, freeing its place.
            let conns = Arc::clone(&conns);
            async move {
                close.notified().await;
                drop(Registered(conns, id));
                drop(first);
            }
        });
        let _second = tokio::time::timeout(Duration::from_secs(30), conns.take())
            .await
            .expect("the new client is let in");
        served.await.unwrap();
    }

    #[tokio::test]
    async fn the_cap_holds_until_a_slot_frees() {
        let slots = Arc::new(Connections::new(2));
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
