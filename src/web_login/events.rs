//! The event stream of a waiting page (Server-Sent Events):
//!
//! - `qr`: the SVG of the current BankID QR frame, once a second (event id =
//!   the frame's second); computed here, so `qrStartSecret` never leaves the
//!   server;
//! - `status`: the message to show, when it changes;
//! - `done`: the URL of the result page; the stream ends after it.

use std::convert::Infallible;
use std::sync::Arc;

use axum::response::sse::Event;
use futures_util::StreamExt as _;
use tokio::sync::watch;

use super::pages::qr_svg;
use super::store::{Login, Status, View};
use crate::qr::QrFrames;

struct Stream {
    status: watch::Receiver<Status>,
    frames: Option<QrFrames>,
    result_url: String,
    started: bool,
    done: bool,
}

/// The events of one login.
pub(crate) fn events(
    login: Arc<Login>,
    result_url: String,
) -> impl futures_core::Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let frames = match &login.view {
        View::BankIdSe { qr, .. } => Some(qr.frames()),
        _ => None,
    };
    let state = Stream {
        status: login.status.subscribe(),
        frames,
        result_url,
        started: false,
        done: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        if !st.started {
            st.started = true;
            let status = st.status.borrow_and_update().clone();
            let event = status_event(&mut st, &status);
            return Some((Ok(event), st));
        }
        loop {
            tokio::select! {
                changed = st.status.changed() => {
                    let status = match changed {
                        Ok(()) => st.status.borrow_and_update().clone(),
                        // The login is gone: send the user to its result page,
                        // which says so.
                        Err(_) => Status::Ended(super::store::Failure::Failed(String::new())),
                    };
                    let event = status_event(&mut st, &status);
                    return Some((Ok(event), st));
                }
                frame = next_frame(&mut st.frames) => {
                    // Encoding a QR code takes a few hundred microseconds
                    // (the mask choice): done off the async workers.
                    let payload = frame.payload;
                    let svg = tokio::task::spawn_blocking(move || qr_svg(&payload))
                        .await
                        .unwrap_or_default();
                    if svg.is_empty() {
                        continue;
                    }
                    let event = Event::default()
                        .event("qr")
                        .id(frame.seconds.to_string())
                        .data(svg);
                    return Some((Ok(event), st));
                }
            }
        }
    })
}

fn status_event(st: &mut Stream, status: &Status) -> Event {
    match status {
        Status::Pending(message) => Event::default().event("status").data(message.as_str()),
        _ => {
            st.done = true;
            st.frames = None;
            Event::default().event("done").data(st.result_url.as_str())
        }
    }
}

async fn next_frame(frames: &mut Option<QrFrames>) -> crate::qr::QrFrame {
    match frames {
        Some(frames) => match frames.next().await {
            Some(frame) => frame,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}
