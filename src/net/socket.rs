//! A client connection (TCP, optionally TLS) that can leave the reactor while a body is read
//! on a schedule.
//!
//! A streamed LLM reply arrives as hundreds of tiny packets. A socket registered with epoll
//! wakes the process for each of them; after [`Socket::unwatch`] the owner reads this one with
//! [`Socket::pull`], a non-blocking read of everything the kernel has buffered, whenever it
//! chooses, so one wake-up collects many tokens. Otherwise a socket stays watched, idle in the
//! pool too: registering costs system calls, and an idle registration wakes nobody.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use rustls::ClientConnection;
use rustls::pki_types::ServerName;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::head::Origin;

const READ_CHUNK: usize = 8 << 10;

/// What one non-blocking read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pulled {
    /// This many plaintext bytes were appended.
    Data(usize),
    /// Nothing buffered yet.
    Nothing,
    /// The peer closed the connection (after any data returned earlier).
    Closed,
}

pub struct Socket {
    /// The reactor's registration, while there is one. Declared before `tcp` so it is
    /// dropped first: it must never outlive the descriptor.
    watch: Option<AsyncFd<WatchedFd>>,
    /// The runtime whose reactor holds `watch`: a pooled socket may be picked up by another
    /// runtime (tests run many), and a registration only works in its own.
    watched_by: Option<tokio::runtime::Id>,
    /// The registration wakes us for arriving bytes too, not only for room to write.
    watched_for_reads: bool,
    tcp: TcpStream,
    tls: Option<Box<ClientConnection>>,
}

impl Socket {
    /// Connects (and for `https`, completes the TLS handshake) within `timeout`. The new
    /// socket is watched by the reactor.
    pub async fn connect(
        origin: &Origin,
        tls: &Arc<rustls::ClientConfig>,
        timeout: Duration,
    ) -> io::Result<Socket> {
        let connect = tokio::net::TcpStream::connect((&*origin.host, origin.port));
        let tcp = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        tcp.set_nodelay(true)?;
        // Leaves tokio's own registration; `watch` below makes ours.
        let tcp = tcp.into_std()?;
        let tls = if origin.tls {
            let name = ServerName::try_from(origin.host.to_string())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let mut connection = ClientConnection::new(tls.clone(), name)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            connection.set_buffer_limit(None);
            Some(Box::new(connection))
        } else {
            None
        };
        let mut socket = Socket {
            watch: None,
            watched_by: None,
            watched_for_reads: false,
            tcp,
            tls,
        };
        socket.watch()?;
        if socket.tls.is_some() {
            tokio::time::timeout(timeout, socket.handshake())
                .await
                .map_err(|_| {
                    io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")
                })??;
        }
        Ok(socket)
    }

    /// Lets the reactor wake us when the socket is ready (needed by the waiting methods).
    /// A socket stays watched until [`Socket::unwatch`], in the pool too, so a request on a
    /// reused connection costs no registration calls.
    pub fn watch(&mut self) -> io::Result<()> {
        self.register(true)
    }

    /// Lets the reactor wake us only when a full send buffer has room again: arriving bytes
    /// wake nobody, and the owner collects them with [`Socket::pull`] when it chooses. For a
    /// connection whose answers are read on a schedule, this saves a wake-up of the process
    /// per answer without the registration calls of [`Socket::unwatch`] and re-watching.
    pub fn watch_writes_only(&mut self) -> io::Result<()> {
        self.register(false)
    }

    fn register(&mut self, reads: bool) -> io::Result<()> {
        let runtime = current_runtime();
        if self.watch.is_some() && self.watched_by == runtime && self.watched_for_reads == reads {
            return Ok(());
        }
        // Deregisters (from the other runtime's reactor, if it still runs) before joining ours.
        self.watch = None;
        let watched = WatchedFd(self.tcp.as_raw_fd());
        let interest = if reads {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::WRITABLE
        };
        // SAFETY: the descriptor belongs to `self.tcp`, which outlives the registration
        // (field order drops `watch` first) and is never replaced while it exists.
        let fd = unsafe { AsyncFd::register_with_interest(watched, interest) }
            .map_err(|e| e.into_parts().1)?;
        self.watch = Some(fd);
        self.watched_by = runtime;
        self.watched_for_reads = reads;
        Ok(())
    }

    /// Watched by this runtime's reactor in either way: enough to wait for room to write.
    fn watch_any(&mut self) -> io::Result<()> {
        if self.watch.is_some() && self.watched_by == current_runtime() {
            return Ok(());
        }
        self.watch()
    }

    /// Stops the reactor's wake-ups: from now on the owner reads with [`Socket::pull`] when
    /// it chooses, and packets arriving meanwhile cost this process nothing.
    pub fn unwatch(&mut self) {
        self.watch = None;
        self.watched_by = None;
    }

    /// Appends whatever plaintext is available now, without waiting.
    pub fn pull(&mut self, out: &mut Vec<u8>) -> io::Result<Pulled> {
        self.pull_with(&mut |bytes| out.extend_from_slice(bytes))
    }

    /// Hands whatever plaintext is available now to `sink`, borrowed from a read buffer the
    /// thread reuses, without waiting: a reader that decodes the bytes as they come keeps no
    /// copy of them.
    pub fn pull_with(&mut self, sink: &mut dyn FnMut(&[u8])) -> io::Result<Pulled> {
        Ok(pull(&mut self.tcp, self.tls.as_deref_mut(), sink)?.0)
    }

    /// Like [`Socket::pull`], but when nothing is there yet, arranges a wake-up for when
    /// something is (the socket must be watched).
    pub fn poll_pull(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Vec<u8>,
    ) -> Poll<io::Result<Pulled>> {
        let Some(watch) = self.watch.as_ref().filter(|_| self.watched_for_reads) else {
            return Poll::Ready(Err(io::Error::other("the socket is not watched for reads")));
        };
        loop {
            let mut guard = ready!(watch.poll_read_ready(cx))?;
            let (pulled, drained) = pull(&mut self.tcp, self.tls.as_deref_mut(), &mut |bytes| {
                out.extend_from_slice(bytes);
            })?;
            // Forgetting the readiness once the kernel is drained saves the next wait a read
            // that could only fail; data arriving later is a new edge and sets it again.
            if drained {
                guard.clear_ready();
            }
            if pulled != Pulled::Nothing {
                return Poll::Ready(Ok(pulled));
            }
        }
    }

    /// Waits until some plaintext arrives or the peer closes.
    pub async fn pull_wait(&mut self, out: &mut Vec<u8>) -> io::Result<Pulled> {
        std::future::poll_fn(|cx| self.poll_pull(cx, out)).await
    }

    /// True when an idle connection can carry another request: the server has neither closed
    /// it nor sent anything unasked. A socket this runtime watches answers from the reactor's
    /// record (nothing arrived since its last answer was drained), without a system call.
    pub fn looks_idle(&mut self) -> bool {
        if let Some(watch) = self.watch.as_ref()
            && self.watched_by == current_runtime()
            && self.watched_for_reads
        {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            return match watch.poll_read_ready(&mut cx) {
                Poll::Pending => true,
                Poll::Ready(Err(_)) => false,
                Poll::Ready(Ok(mut guard)) => {
                    // Readiness may be left over from the last answer; the kernel decides.
                    let idle = nothing_buffered(&self.tcp);
                    if idle {
                        guard.clear_ready();
                    }
                    idle
                }
            };
        }
        nothing_buffered(&self.tcp)
    }

    /// Writes everything; waits with the reactor (watching the socket if needed) only when
    /// the send buffer is full.
    pub async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some(tls) = self.tls.as_deref_mut() {
            tls.writer().write_all(bytes)?;
            return self.flush_tls().await;
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            // Try first: a request usually fits the send buffer, and waiting for the reactor
            // to confirm writability would cost a turn of the event loop per request.
            match (&self.tcp).write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.watch_any()?;
                    wait_writable(self.parts()?.0).await?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The registration, the socket and its TLS session, borrowed apart.
    fn parts(
        &mut self,
    ) -> io::Result<(
        &AsyncFd<WatchedFd>,
        &mut TcpStream,
        Option<&mut ClientConnection>,
    )> {
        let watch = self
            .watch
            .as_ref()
            .ok_or_else(|| io::Error::other("the socket is not watched"))?;
        Ok((watch, &mut self.tcp, self.tls.as_deref_mut()))
    }

    async fn handshake(&mut self) -> io::Result<()> {
        loop {
            self.flush_tls().await?;
            let (watch, tcp, Some(tls)) = self.parts()? else {
                return Ok(());
            };
            if !tls.is_handshaking() {
                return Ok(());
            }
            let mut guard = watch.readable().await?;
            match tls.read_tls(tcp) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection during the TLS handshake",
                    ));
                }
                Ok(_) => {
                    if let Err(error) = tls.process_new_packets() {
                        // Send the alert that explains the failure, then give up.
                        let _ = self.flush_tls().await;
                        return Err(io::Error::new(io::ErrorKind::InvalidData, error));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                Err(e) => return Err(e),
            }
        }
    }

    async fn flush_tls(&mut self) -> io::Result<()> {
        loop {
            let Some(tls) = self.tls.as_deref_mut() else {
                return Ok(());
            };
            if !tls.wants_write() {
                return Ok(());
            }
            match tls.write_tls(&mut self.tcp) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.watch_any()?;
                    wait_writable(self.parts()?.0).await?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// After a write found the send buffer full: waits until the reactor reports room. The
/// readiness seen first may predate that failed write, so it is cleared (tokio keeps any that
/// arrived since) and the caller simply tries again.
async fn wait_writable(watch: &AsyncFd<WatchedFd>) -> io::Result<()> {
    watch.writable().await?.clear_ready();
    Ok(())
}

fn current_runtime() -> Option<tokio::runtime::Id> {
    tokio::runtime::Handle::try_current().ok().map(|h| h.id())
}

fn nothing_buffered(tcp: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(tcp.peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

/// A raw descriptor for the reactor to watch; the [`Socket`] owns and closes it.
struct WatchedFd(RawFd);

impl AsRawFd for WatchedFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

thread_local! {
    /// Where reads land before their bytes are handed on: zeroed once per thread instead of
    /// once per read (8 KiB per read of a model's stream, every few hundred milliseconds).
    static READ_BUFFER: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}

/// What one read found, and whether the kernel is known to hold nothing more.
fn pull(
    tcp: &mut TcpStream,
    tls: Option<&mut ClientConnection>,
    sink: &mut dyn FnMut(&[u8]),
) -> io::Result<(Pulled, bool)> {
    READ_BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => pull_through(tcp, tls, &mut buffer, sink),
        // A sink that reads another socket: that read gets a buffer of its own.
        Err(_) => pull_through(tcp, tls, &mut [0; READ_CHUNK], sink),
    })
}

fn pull_through(
    tcp: &mut TcpStream,
    tls: Option<&mut ClientConnection>,
    buffer: &mut [u8],
    sink: &mut dyn FnMut(&[u8]),
) -> io::Result<(Pulled, bool)> {
    match tls {
        None => pull_plain(tcp, buffer, sink),
        Some(tls) => pull_tls(tls, tcp, buffer, sink),
    }
}

fn pull_plain(
    tcp: &mut TcpStream,
    buffer: &mut [u8],
    sink: &mut dyn FnMut(&[u8]),
) -> io::Result<(Pulled, bool)> {
    let mut total = 0;
    loop {
        match tcp.read(buffer) {
            Ok(0) if total == 0 => return Ok((Pulled::Closed, false)),
            Ok(0) => return Ok((Pulled::Data(total), false)),
            Ok(n) => {
                sink(&buffer[..n]);
                total += n;
                // A short read means the kernel has nothing more right now.
                if n < buffer.len() {
                    return Ok((Pulled::Data(total), true));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Ok((nothing_or(total), true));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn pull_tls(
    tls: &mut ClientConnection,
    tcp: &mut TcpStream,
    buffer: &mut [u8],
    sink: &mut dyn FnMut(&[u8]),
) -> io::Result<(Pulled, bool)> {
    let mut total = 0;
    let mut peer_closed = false;
    loop {
        // Plaintext rustls already decrypted comes first.
        match tls.reader().read(buffer) {
            Ok(0) => return Ok((end_of(total), false)),
            Ok(n) => {
                sink(&buffer[..n]);
                total += n;
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            // Closed without close_notify: what arrived is all there is.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Ok((end_of(total), false));
            }
            Err(e) => return Err(e),
        }
        if peer_closed {
            return Ok((end_of(total), false));
        }
        match tls.read_tls(tcp) {
            Ok(0) => peer_closed = true,
            Ok(_) => {
                tls.process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Alerts or key updates rustls wants to answer; best effort, never waits.
                while tls.wants_write() && tls.write_tls(tcp).is_ok_and(|n| n > 0) {}
                return Ok((nothing_or(total), true));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn nothing_or(total: usize) -> Pulled {
    if total == 0 {
        Pulled::Nothing
    } else {
        Pulled::Data(total)
    }
}

fn end_of(total: usize) -> Pulled {
    if total == 0 {
        Pulled::Closed
    } else {
        Pulled::Data(total)
    }
}
