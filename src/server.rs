//! The HTTP server: hyper serving the poem app, with the limits poem's own `Server` cannot set.
//!
//! poem 3.1 builds its hyper connections itself, without a timer, so a client that sends half
//! its headers, or connects and sends nothing, holds a connection for as long as it likes, and
//! nothing caps how many it holds. Here every connection is watched: it must send a request's
//! headers within the header timeout (counted from connecting, or from the first byte of a later
//! request), may wait for its next request no longer than the idle timeout, and only so many are
//! open at once. Request bodies are timed by [`crate::api::edges::body_deadline`], which reads the
//! deadline this server gives every request.
//!
//! HTTP/2 with prior knowledge (rare behind a proxy) is served too; there any frame that comes
//! while no request is open counts as the start of a head, so a connection that only pings is
//! closed after the header timeout.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use poem::Endpoint;
use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

use crate::api::edges::BodyDeadline;
use crate::config::HttpSettings;
use crate::error::Problem;

/// The most a request head (request line and headers) may take in hyper's buffer. Above the
/// limits [`crate::api::edges::head_limits`] answers with a problem, so that those answers come
/// from us; only a head beyond this is refused by hyper itself (a bare 431 and a closed connection).
/// The `http` crate refuses URIs of 64 KiB too, so one figure covers both.
pub const HARD_HEAD_BYTES: usize = 64 * 1024;
/// The most header fields hyper parses; again above our own limit, for the same reason.
pub const HARD_HEADER_COUNT: usize = 256;
/// Refusals over the connection cap answered at once; beyond it a connection is just closed, so
/// that a flood cannot turn the polite answer into a new way to pile up tasks.
const REFUSALS_AT_ONCE: usize = 64;

/// Serves `endpoint` on `listener` until `shutdown` completes, then lets open requests finish
/// for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    endpoint: BoxEndpoint<'static>,
    limits: HttpSettings,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let endpoint = Arc::new(endpoint);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let (stop, stopped) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) => continue,
                Err(e) => {
                    // Out of file descriptors, most likely: accepting again at once would spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let _ = stream.set_nodelay(true);
                let conn = Connection { endpoint: endpoint.clone(), limits, local, remote, stopped: stopped.clone(), _slot: slot };
                tokio::spawn(conn.run(stream));
            }
            Err(_) => {
                if let Ok(turn) = refusals.clone().try_acquire_owned() {
                    tokio::spawn(refuse(stream, turn));
                }
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection gives its slot back when it ends; all slots back means all done.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(grace, slots.acquire_many(all)).await;
    Ok(())
}

/// Answers a connection over the cap with a 503 problem and closes it. The request is read
/// and dropped afterwards, briefly, so that closing does not reset the connection before the
/// client has read the answer.
async fn refuse(mut stream: TcpStream, _turn: OwnedSemaphorePermit) {
    let problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "too_many_connections",
        "Too many connections",
        "the server has as many open connections as it takes; retry shortly",
    );
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {}\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        crate::error::PROBLEM_JSON,
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await? > 0 {}
        io::Result::Ok(())
    })
    .await;
}

/// One accepted connection and what it needs.
struct Connection {
    endpoint: Arc<BoxEndpoint<'static>>,
    limits: HttpSettings,
    local: SocketAddr,
    remote: SocketAddr,
    stopped: watch::Receiver<bool>,
    /// Held while the connection is open: its place under the cap.
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, stream: TcpStream) {
        let phase = Arc::new(Watch::new());
        let service = {
            let (endpoint, phase, body_timeout) = (self.endpoint.clone(), phase.clone(), self.limits.body_timeout);
            let (local, remote) = (LocalAddr(self.local.into()), RemoteAddr(self.remote.into()));
            hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let (endpoint, phase, local, remote) = (endpoint.clone(), phase.clone(), local.clone(), remote.clone());
                async move {
                    let in_flight = phase.begin();
                    let mut req = poem::Request::from((req, local, remote, Scheme::HTTP));
                    req.extensions_mut().insert(BodyDeadline(Instant::now() + body_timeout));
                    let resp: hyper::Response<_> = endpoint.get_response(req).await.into();
                    Ok::<_, Infallible>(resp.map(|body| Tracked { body, _in_flight: in_flight }))
                }
            })
        };
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().max_buf_size(HARD_HEAD_BYTES).max_headers(HARD_HEADER_COUNT);
        builder.http2().max_pending_accept_reset_streams(20).max_header_list_size(HARD_HEAD_BYTES as u32);
        let io = TokioIo::new(Watched { io: stream, phase: phase.clone() });
        let conn = builder.serve_connection(io, service);
        tokio::pin!(conn);
        loop {
            let deadline = phase.deadline(&self.limits);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = phase.changed.notified() => {}
                _ = sleep_until(deadline) => {
                    if let Some(why) = phase.expired(&self.limits) {
                        // Dropping the connection closes it: no request is in flight.
                        tracing::debug!(reason = why, "closing a connection");
                        return;
                    }
                }
                _ = self.stopped.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                    return;
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Where a connection stands, which decides the timeout that runs.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Reading a request head since then: the header timeout runs.
    Head(Instant),
    /// Waiting for the next request since then: the idle timeout runs.
    Idle(Instant),
    /// This many requests are being answered: the body timeout and the handlers take over.
    Busy(usize),
}

/// A connection's phase, shared by its socket, its requests and its watchdog.
struct Watch {
    phase: Mutex<Phase>,
    /// Woken on every change, so the watchdog re-arms for the new phase.
    changed: Notify,
}

impl Watch {
    /// A fresh connection counts as sending its first head: one that connects and says nothing
    /// is cut off as soon as one that stops halfway.
    fn new() -> Self {
        Self { phase: Mutex::new(Phase::Head(Instant::now())), changed: Notify::new() }
    }

    fn set(&self, change: impl FnOnce(Phase) -> Phase) {
        let mut p = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        *p = change(*p);
        drop(p);
        self.changed.notify_one();
    }

    fn bytes_read(&self) {
        let mut p = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        if let Phase::Idle(_) = *p {
            *p = Phase::Head(Instant::now());
            drop(p);
            self.changed.notify_one();
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.set(|p| match p {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        InFlight(self.clone())
    }

    fn deadline(&self, limits: &HttpSettings) -> Option<Instant> {
        match *self.phase.lock().unwrap_or_else(|e| e.into_inner()) {
            Phase::Head(since) => Some(since + limits.header_timeout),
            Phase::Idle(since) => Some(since + limits.idle_timeout),
            Phase::Busy(_) => None,
        }
    }

    fn expired(&self, limits: &HttpSettings) -> Option<&'static str> {
        let now = Instant::now();
        match *self.phase.lock().unwrap_or_else(|e| e.into_inner()) {
            Phase::Head(since) if now >= since + limits.header_timeout => Some("no complete request head within the header timeout"),
            Phase::Idle(since) if now >= since + limits.idle_timeout => Some("idle longer than the idle timeout"),
            _ => None,
        }
    }
}

/// A request being answered; dropped once hyper is done with its response body.
struct InFlight(Arc<Watch>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.set(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }
}

/// A response body that holds its request's [`InFlight`] until hyper has sent it all.
struct Tracked<B> {
    body: B,
    _in_flight: InFlight,
}

impl<B: HttpBody + Unpin> HttpBody for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, telling the watch when the first bytes of a new request arrive.
struct Watched {
    io: TcpStream,
    phase: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.phase.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
