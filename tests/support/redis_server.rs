//! A `redis-server` child process on a free 127.0.0.1 port (`--save ''
//! --appendonly no`), for the tests of what is shared through Redis (the
//! notifier here, the web login's logins in `web/tests/shared_logins.rs`).
//! Without the binary, `start` prints why and gives `None` (the test then
//! passes), unless `IDENTISURE_REQUIRE_REDIS=1` (set by `.ci/redis.sh`).

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A redis-server child process on 127.0.0.1.
pub struct RedisServer {
    binary: String,
    port: u16,
    child: Option<Child>,
}

fn redis_binary() -> Option<String> {
    if let Ok(path) = std::env::var("IDENTISURE_REDIS_SERVER") {
        return Some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("redis-server"))
        .find(|p| p.is_file())
        .map(|p| p.to_string_lossy().into_owned())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RedisServer {
    /// `None` (with the reason printed) when redis-server is not installed.
    pub fn start() -> Option<RedisServer> {
        let Some(binary) = redis_binary() else {
            if std::env::var_os("IDENTISURE_REQUIRE_REDIS").is_some() {
                panic!("redis-server not found but IDENTISURE_REQUIRE_REDIS is set");
            }
            eprintln!(
                "skipped: redis-server not found on PATH (install the Debian package redis-server, or run .ci/redis.sh)"
            );
            return None;
        };
        let mut server = RedisServer {
            binary,
            port: free_port(),
            child: None,
        };
        server.spawn();
        Some(server)
    }

    pub fn spawn(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        for _ in 0..500 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not listen on {}", self.port);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
