//! Response decoding: `State::<F>::from_json` of every family, and the
//! mapping of raw-client errors (which peeks at the body) never panic, and
//! never print the body's values.
#![no_main]

use identisure::{AgeVerification, BankIdNo, BankIdSe, Family, Freja, Ftn, MitId, State, Vipps};
use libfuzzer_sys::fuzz_target;

fn decode<F: Family>(data: &[u8]) {
    match State::<F>::from_json(data) {
        Ok(state) => {
            let _ = format!("{state:?}");
            let _ = state.hint_code();
            let _ = state.is_final();
            let _ = state.into_outcome();
        }
        Err(err) => {
            let _ = format!("{err} {err:?}");
            let _ = err.is_retryable();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    decode::<BankIdSe>(data);
    decode::<Freja>(data);
    decode::<BankIdNo>(data);
    decode::<Vipps>(data);
    decode::<MitId>(data);
    decode::<Ftn>(data);
    decode::<AgeVerification>(data);
    // Error mapping of the generated client: an undecodable payload.
    if let Err(e) = serde_json::from_slice::<identisure::raw::types::BankIdSeSession>(data) {
        let raw: identisure::raw::Error<identisure::raw::types::ErrorResponse> =
            identisure::raw::Error::InvalidResponsePayload(data.to_vec().into(), e);
        let err = identisure::Error::from(raw);
        let _ = format!("{err} {err:?}");
    }
});
