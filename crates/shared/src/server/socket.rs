//! A connection's socket as hyper writes to it.

use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Up to this many bytes, gathering a write into one buffer costs less than `writev`.
const GATHER_UP_TO: usize = 4096;

/// hyper hands a response over as a head and a body buffer and writes them with one
/// `writev`. On Linux that call's way through the VFS costs more than a `send` of the two
/// copied into one buffer: about 0.4 us, a twentieth of a small response's CPU here
/// (`scripts/bench-workspace.sh`). So small writes are gathered and sent; large ones
/// still go out vectored, uncopied. (hyper's `writev(false)` would copy every body,
/// however large, and keep a buffer that size for the connection's life.)
pub(super) struct Socket {
    io: TokioIo<TcpStream>,
    /// Where small writes are gathered (kept for the connection's life, ≤ 4 KiB).
    gathered: Vec<u8>,
}

impl Socket {
    pub(super) fn new(stream: TcpStream) -> Self {
        Self {
            io: TokioIo::new(stream),
            gathered: Vec::new(),
        }
    }
}

impl Read for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if let [only] = bufs {
            return Pin::new(&mut self.io).poll_write(cx, only);
        }
        let total: usize = bufs.iter().map(|buf| buf.len()).sum();
        if total > GATHER_UP_TO {
            return Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        }
        let this = &mut *self;
        this.gathered.clear();
        for buf in bufs {
            this.gathered.extend_from_slice(buf);
        }
        // A short send reports fewer bytes, as `writev` would; hyper writes the rest.
        Pin::new(&mut this.io).poll_write(cx, &this.gathered)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    use super::*;

    /// Writes `parts` through a `Socket` as hyper would, and returns what the peer read.
    async fn written(parts: &[&[u8]]) -> Vec<u8> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut peer = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let mut socket = Socket::new(listener.accept().await.expect("accept").0);
        let mut rest: Vec<Vec<u8>> = parts.iter().map(|part| part.to_vec()).collect();
        while rest.iter().any(|part| !part.is_empty()) {
            let slices: Vec<IoSlice<'_>> = rest.iter().map(|part| IoSlice::new(part)).collect();
            let mut sent =
                std::future::poll_fn(|cx| Pin::new(&mut socket).poll_write_vectored(cx, &slices))
                    .await
                    .expect("write");
            for part in &mut rest {
                let taken = sent.min(part.len());
                part.drain(..taken);
                sent -= taken;
            }
        }
        drop(socket);
        let mut read = Vec::new();
        peer.read_to_end(&mut read).await.expect("read");
        read
    }

    #[tokio::test]
    async fn small_and_large_writes_arrive_whole_and_in_order() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n".as_slice();
        assert_eq!(written(&[head, b"hello"]).await, [head, b"hello"].concat());
        assert_eq!(written(&[b"only one buffer"]).await, b"only one buffer");
        let large = vec![7u8; 3 * GATHER_UP_TO];
        assert_eq!(
            written(&[head, &large, b"tail"]).await,
            [head, &large, b"tail"].concat()
        );
    }
}
