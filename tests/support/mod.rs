//! Test helpers: a scripted wiremock responder that records server-side
//! receive times, and a tiny raw TCP server for resets and hangs.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::{Request, Respond, ResponseTemplate};

/// Answers with the scripted replies in order, then repeats the last one;
/// records when each request arrived (server side).
#[derive(Clone)]
pub struct Script {
    replies: Arc<Mutex<VecDeque<ResponseTemplate>>>,
    last: Arc<Mutex<Option<ResponseTemplate>>>,
    pub times: Arc<Mutex<Vec<Instant>>>,
}

impl Script {
    pub fn new(replies: Vec<ResponseTemplate>) -> Self {
        Self {
            last: Arc::new(Mutex::new(replies.last().cloned())),
            replies: Arc::new(Mutex::new(replies.into())),
            times: Arc::default(),
        }
    }

    pub fn times(&self) -> Vec<Instant> {
        self.times.lock().unwrap().clone()
    }

    /// Gaps between consecutive receive times.
    pub fn gaps(&self) -> Vec<Duration> {
        self.times().windows(2).map(|w| w[1] - w[0]).collect()
    }
}

impl Respond for Script {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.times.lock().unwrap().push(Instant::now());
        let next = self.replies.lock().unwrap().pop_front();
        next.unwrap_or_else(|| self.last.lock().unwrap().clone().expect("scripted reply"))
    }
}

pub fn json(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

pub fn client(base: &str) -> identisure::Client {
    identisure::Client::builder()
        .credentials("acct-1", "test-secret")
        .base_url(base)
        .request_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn pending_se(id: &str, hint: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "status": "PENDING", "hintCode": hint, "autoStartToken": "ast", "qrStartToken": "qst", "qrStartSecret": "qss"})
}

/// What the raw server does with one connection.
#[derive(Clone, Copy, Debug)]
pub enum Conn {
    /// Read the request, then close without answering.
    Close,
    /// Read the request, never answer.
    Hang,
    /// Answer 200 with this JSON body.
    Json(&'static str),
}

/// A raw HTTP/1.1 server on 127.0.0.1: one request per connection, handled
/// per the script (the last entry repeats). Returns the base URL and the
/// receive times of the requests.
pub async fn raw_server(script: Vec<Conn>) -> (String, Arc<Mutex<Vec<(Instant, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let seen = log.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let action = script[n.min(script.len() - 1)];
            n += 1;
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => buf.extend_from_slice(&chunk[..k]),
                    }
                }
                let line = String::from_utf8_lossy(&buf)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                seen.lock().unwrap().push((Instant::now(), line));
                match action {
                    Conn::Close => drop(sock),
                    Conn::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    Conn::Json(body) => {
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                            body.len(),
                            body
                        );
                        let _ = sock.write_all(resp.as_bytes()).await;
                        let _ = sock.shutdown().await;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), log)
}
