//! A small programmable HTTP/1.1 server on 127.0.0.1 for hostile answers:
//! every connection carries one request, answered per a script (one script
//! for POST, one for GET; the last entry repeats; DELETE answers 204). It
//! records what arrived (method, path, Authorization, server-side time).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete answer with `Content-Length`.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Announces `declared` bytes, sends `body` (fewer), then closes.
    Truncated {
        status: u16,
        declared: usize,
        body: Vec<u8>,
    },
    /// Reads the request, then resets the connection (RST, SO_LINGER 0).
    Reset,
    /// Reads the request and never answers.
    Hang,
    /// Answers 2xx headers, then one body byte every 100 ms, forever.
    Trickle,
    /// Answers 200 with a chunked body of 64 KiB chunks that never ends.
    Endless,
    /// Announces a huge `Content-Length` and sends the body as fast as it can.
    Huge { status: u16, declared: usize },
    /// Answers bytes that are not HTTP.
    Garbage,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::Full {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::Full {
            status,
            headers: vec![("content-type", content_type.to_string())],
            body: body.into(),
        }
    }

    pub fn with_header(self, name: &'static str, value: impl Into<String>) -> Self {
        match self {
            Self::Full {
                status,
                mut headers,
                body,
            } => {
                headers.push((name, value.into()));
                Self::Full {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
}

/// A running hostile server.
#[derive(Clone)]
pub struct Hostile {
    pub base: String,
    pub port: u16,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Hostile {
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    pub fn count(&self, method: &str) -> usize {
        self.seen().iter().filter(|s| s.method == method).count()
    }

    /// Server-side gaps between consecutive GETs.
    pub fn get_gaps(&self) -> Vec<Duration> {
        let times: Vec<Instant> = self
            .seen()
            .iter()
            .filter(|s| s.method == "GET")
            .map(|s| s.at)
            .collect();
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// Starts a server answering POSTs per `starts` and GETs per `collects`.
pub async fn hostile(starts: Vec<Reply>, collects: Vec<Reply>) -> Hostile {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let seen = log.clone();
    let scripts = Arc::new(Mutex::new((0usize, 0usize)));
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let (seen, scripts) = (seen.clone(), scripts.clone());
            let (starts, collects) = (starts.clone(), collects.clone());
            tokio::spawn(async move {
                let Some((mut sock, request)) = read_request(sock).await else {
                    return;
                };
                let reply = {
                    let mut n = scripts.lock().unwrap();
                    let pick = |script: &[Reply], i: &mut usize| {
                        let r = script
                            .get((*i).min(script.len().saturating_sub(1)))
                            .cloned();
                        *i += 1;
                        r
                    };
                    match request.method.as_str() {
                        "POST" => pick(&starts, &mut n.0),
                        "GET" => pick(&collects, &mut n.1),
                        _ => None,
                    }
                    .unwrap_or(Reply::Full {
                        status: 204,
                        headers: vec![],
                        body: vec![],
                    })
                };
                seen.lock().unwrap().push(request);
                answer(&mut sock, reply).await;
            });
        }
    });
    Hostile {
        base: format!("http://{addr}"),
        port: addr.port(),
        log,
    }
}

/// Reads one request (head and `Content-Length` body) so that closing the
/// socket afterwards does not reset it by accident.
async fn read_request(mut sock: TcpStream) -> Option<(TcpStream, Seen)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let mut length = 0usize;
    let mut authorization = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "authorization" => authorization = Some(value.to_string()),
                _ => {}
            }
        }
    }
    while buf.len() < head_end + length {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
        }
    }
    Some((
        sock,
        Seen {
            at: Instant::now(),
            method,
            path,
            authorization,
        },
    ))
}

async fn answer(sock: &mut TcpStream, reply: Reply) {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Whatever\r\nconnection: close\r\ncontent-length: {}\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
            let _ = sock.shutdown().await;
        }
        Reply::Truncated {
            status,
            declared,
            body,
        } => {
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n"
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
            let _ = sock.shutdown().await;
        }
        Reply::Reset => {
            let _ = sock.set_zero_linger();
        }
        Reply::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
        Reply::Trickle => {
            let head = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n1\r\n{\r\n";
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if sock.write_all(b"1\r\n \r\n").await.is_err() {
                    return;
                }
            }
        }
        Reply::Endless => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n8\r\n{\"a\":\"xx\r\n";
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
            while sock.write_all(chunk.as_bytes()).await.is_ok() {}
        }
        Reply::Huge { status, declared } => {
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\nconnection: close\r\ncontent-type: text/html\r\ncontent-length: {declared}\r\n\r\n"
            );
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let block = vec![b'<'; 0x10000];
            let mut sent = 0;
            while sent < declared {
                let n = block.len().min(declared - sent);
                if sock.write_all(&block[..n]).await.is_err() {
                    return;
                }
                sent += n;
            }
            let _ = sock.shutdown().await;
        }
        Reply::Garbage => {
            let _ = sock.write_all(b"HELLO THERE\r\n\r\n\x00\xff").await;
            let _ = sock.shutdown().await;
        }
    }
}
