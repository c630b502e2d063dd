//! The event stream of a waiting page (Server-Sent Events):
//!
//! - `qr`: the SVG of the current BankID QR frame, once a second (event id =
//!   the frame's second); computed here, so `qrStartSecret` never leaves the
//!   server;
//! - `status`: the message to show, when it changes;
//! - `done`: the URL of the result page; the stream ends after it.
//!
//! Each frame is encoded once per login, whatever the number of its streams
//! (bounded: see `store::Shared::open_stream`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::response::sse::Event;
use tokio::sync::watch;

use super::store::{Login, Status, StreamSlot, View};
use crate::login::next_frame;
use identisure::qr::QrFrames;

struct Stream {
    login: Arc<Login>,
    _slot: StreamSlot,
    status: watch::Receiver<Status>,
    frames: Option<QrFrames>,
    result_url: String,
    started: bool,
    done: bool,
}

/// The events of one login.
pub(crate) fn events(
    login: Arc<Login>,
    slot: StreamSlot,
    result_url: String,
) -> impl futures_core::Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let frames = match &login.view {
        View::BankIdSe { qr, .. } => Some(qr.frames()),
        _ => None,
    };
    let state = Stream {
        _slot: slot,
        status: login.status.subscribe(),
        frames,
        result_url,
        login,
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
                    let View::BankIdSe { qr, .. } = &st.login.view else {
                        continue;
                    };
                    let Some(svg) = qr.svg(frame).await else {
                        continue;
                    };
                    let event = Event::default()
                        .event("qr")
                        .id(svg.0.to_string())
                        .data(&*svg.1);
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
