//! Criterion micro-benchmarks of the hot pieces: the BankID QR payload, the
//! SVG of one frame, and decoding collect answers into typed states.
//!
//! `cargo bench --bench micro --features qr` (figures for the report come
//! from `cargo xtask bench`; these are for profiling one piece at a time).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use identisure::qr::BankIdQr;
use identisure::qr::render::QrImage;
use identisure::{BankIdSe, QrStartSecret, State};

const PENDING: &[u8] = br#"{"id":"2f0c7e64-4a4d-4f8e-9a43-4b1b0c9b8e31","refId":"order-4711","status":"PENDING","hintCode":"outstandingTransaction"}"#;
const COMPLETED: &[u8] = br#"{"id":"2f0c7e64-4a4d-4f8e-9a43-4b1b0c9b8e31","refId":"order-4711","status":"COMPLETED","ssn":"198704122384","name":"Astrid Lindqvist","givenName":"Astrid","surname":"Lindqvist"}"#;

fn qr(c: &mut Criterion) {
    let qr = BankIdQr::new(
        "67df3917-fa0d-44e5-b327-edcc928297f8",
        QrStartSecret::new("d28db9a7-4cde-429e-a983-359be676944c"),
        Instant::now(),
    );
    c.bench_function("qr_payload", |b| b.iter(|| qr.payload_at(black_box(17))));
    c.bench_function("qr_encode_and_svg", |b| {
        b.iter(|| QrImage::new(&qr.payload_at(black_box(17))).map(|i| i.to_svg()))
    });
    let payload = qr.payload_at(17);
    c.bench_function("qr_encode_only", |b| {
        b.iter(|| QrImage::new(black_box(&payload)))
    });
    let image = QrImage::new(&payload).expect("the payload fits");
    c.bench_function("qr_svg_only", |b| b.iter(|| black_box(&image).to_svg()));
}

fn decode(c: &mut Criterion) {
    c.bench_function("decode_pending", |b| {
        b.iter(|| State::<BankIdSe>::from_json(black_box(PENDING)).map(|s| s.is_final()))
    });
    c.bench_function("decode_completed", |b| {
        b.iter(|| State::<BankIdSe>::from_json(black_box(COMPLETED)).map(|s| s.is_final()))
    });
    c.bench_function("decode_value_baseline", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(PENDING)).is_ok())
    });
}

criterion_group!(benches, qr, decode);
criterion_main!(benches);
