//! `identisure::serve`, what the simulator and `demo --web` run on: a
//! connection that dribbles its request head, or idles between requests,
//! is closed after `HEADER_READ_TIMEOUT` (with tokio's clock paused, so the
//! test takes no real time); a normal request is served with the peer's
//! address.
#![cfg(feature = "serve")]

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

async fn server() -> SocketAddr {
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                format!("from {}", peer.ip())
            }),
        )
        .route(
            "/form",
            axum::routing::post(|body: axum::body::Bytes| async move {
                format!("got {} bytes", body.len())
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(identisure::serve::serve(
        listener,
        app,
        std::future::pending(),
    ));
    addr
}

/// Reads until the server closes the connection; what it sent.
/// (A server without the limit never closes: the test then fails after
/// four times the limit instead of hanging.)
async fn read_to_close(stream: &mut tokio::net::TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = identisure::serve::HEADER_READ_TIMEOUT * 4;
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(deadline, read)
        .await
        .expect("the server closes the connection");
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test(start_paused = true)]
async fn a_slow_request_head_is_cut_off() {
    let addr = server().await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let answer = read_to_close(&mut slow).await;
    let waited = started.elapsed();
    assert!(!answer.contains("from 127.0.0.1"), "{answer}");
    assert!(
        waited >= identisure::serve::HEADER_READ_TIMEOUT,
        "closed after {waited:?}"
    );
    assert!(
        waited < identisure::serve::HEADER_READ_TIMEOUT * 2,
        "closed after {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_kept_alive_connection_is_closed_after_a_served_request() {
    let addr = server().await;
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let answer = read_to_close(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("from 127.0.0.1"), "{answer}");
    assert!(started.elapsed() >= identisure::serve::HEADER_READ_TIMEOUT);
}

/// A request whose head arrived but whose body never does is answered (and
/// its connection freed) after `BODY_READ_TIMEOUT`, not held forever.
#[tokio::test(start_paused = true)]
async fn a_body_that_never_arrives_is_cut_off() {
    let addr = server().await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let answer = read_to_close(&mut slow).await;
    let waited = started.elapsed();
    assert!(!answer.contains("got 100 bytes"), "{answer}");
    assert!(
        waited >= identisure::serve::BODY_READ_TIMEOUT,
        "closed after {waited:?}"
    );
    assert!(
        waited < identisure::serve::HEADER_READ_TIMEOUT * 3,
        "closed after {waited:?}"
    );
}

/// One address cannot hold more than `MAX_CONNECTIONS_PER_ADDRESS`
/// connections: beyond it new ones are closed at once, and a connection
/// given back makes room again. (This machine's own addresses are exempt by
/// default, a proxy on the same host being everyone; counted here.)
#[tokio::test]
async fn one_address_holds_a_bounded_number_of_connections() {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = identisure::serve::Limits {
        limit_loopback: true,
        ..Default::default()
    };
    tokio::spawn(identisure::serve::serve_with(
        listener,
        app,
        std::future::pending(),
        limits,
    ));
    let mut held = Vec::new();
    for _ in 0..identisure::serve::MAX_CONNECTIONS_PER_ADDRESS {
        let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
        // A served request proves the connection was taken, not queued.
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 256];
        let n = c.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).contains("200 OK"));
        held.push(c);
    }
    let mut extra = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = extra.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), extra.read(&mut buf))
        .await
        .expect("closed at once, not kept waiting")
        .unwrap_or(0);
    assert_eq!(n, 0, "{}", String::from_utf8_lossy(&buf[..n]));
    // Give one back: a new connection is served again.
    drop(held.pop());
    let mut again = None;
    for _ in 0..100 {
        let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let n = c.read(&mut buf).await.unwrap_or(0);
        if n > 0 {
            again = Some(String::from_utf8_lossy(&buf[..n]).into_owned());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(again.is_some_and(|a| a.contains("200 OK")));
}
