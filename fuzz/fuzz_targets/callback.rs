//! Callback parsing and verification: any body and any signature header
//! never panic; a body signed with the right key always verifies, and a
//! signature made for other bytes never does.
#![no_main]

use identisure::callback::{CallbackSecret, sign_callback, verify_callback, verify_signature};
use identisure::{BankIdSe, State};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let secret = CallbackSecret::new("fuzz-secret");
    // Split the input into a signature header and a body.
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len().saturating_sub(1));
    let (header, body) = data.split_at(split.min(data.len()));
    let header = String::from_utf8_lossy(header);
    let _ = verify_signature(&secret, Some(&header), body);
    let _ = verify_signature(&secret, None, body);
    let _ = verify_callback::<serde_json::Value>(&secret, Some(&header), body);

    let good = sign_callback(&secret, body);
    assert!(verify_signature(&secret, Some(&good), body).is_ok());
    match verify_callback::<identisure::raw::types::BankIdSeSession>(&secret, Some(&good), body) {
        Ok(session) => {
            let _ = format!("{session:?}");
        }
        Err(e) => {
            let _ = format!("{e} {e:?}");
        }
    }
    let _ = State::<BankIdSe>::from_json(body);
    if !body.is_empty() {
        let mut other = body.to_vec();
        other[0] ^= 1;
        assert!(verify_signature(&secret, Some(&good), &other).is_err());
    }
});
