//! `qr_frame_ns`: one BankID QR payload; `qr_svg_us`: one frame's SVG (the
//! payload made, encoded as a QR code and rendered), plus the rendering
//! alone. Beside it, in the same run and interleaved batch by batch, the
//! same frames with the peers: `qrcodegen` (the reference encoder, error
//! correction level M and its own mask choice, rendered with the run-length
//! writer this crate used before, `qr_svg_qrcodegen_us`) and `fast_qr`
//! (level M, its own SVG writer, `qr_svg_fast_qr_us`); our time as a ratio
//! of each (`qr_svg_ratio_*`, below 1 is faster).

use std::hint::black_box;
use std::time::{Duration, Instant};

use identisure::QrStartSecret;
use identisure::qr::BankIdQr;
use identisure::qr::render::QrImage;

use crate::support::{Ctx, Metrics, metric, quantile, round};

/// Median over `batches` of the time per call of `f`, `per_batch` calls each.
fn per_call(batches: usize, per_batch: u64, mut f: impl FnMut(u64)) -> Duration {
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let start = Instant::now();
            for i in 0..per_batch {
                f(i);
            }
            start.elapsed().as_secs_f64() / per_batch as f64
        })
        .collect();
    Duration::from_secs_f64(quantile(&mut samples, 0.5))
}

/// Medians per call of several functions, measured in alternating batches so
/// that each sees the same machine.
fn interleaved<const N: usize>(
    batches: usize,
    per_batch: u64,
    fs: &mut [&mut dyn FnMut(u64); N],
) -> [Duration; N] {
    let mut samples: [Vec<f64>; N] = std::array::from_fn(|_| Vec::with_capacity(batches));
    for _ in 0..batches {
        for (f, samples) in fs.iter_mut().zip(&mut samples) {
            let start = Instant::now();
            for i in 0..per_batch {
                f(i);
            }
            samples.push(start.elapsed().as_secs_f64() / per_batch as f64);
        }
    }
    samples.map(|mut s| Duration::from_secs_f64(quantile(&mut s, 0.5)))
}

/// The frame with `qrcodegen`: level M, smallest version, its mask choice,
/// and the SVG writer this crate had before its own encoder (module by
/// module; the same document as ours for the same modules).
fn qrcodegen_svg(payload: &str) -> String {
    use qrcodegen::{QrCode, QrCodeEcc, QrSegment, Version};
    let code = QrCode::encode_segments_advanced(
        &QrSegment::make_segments(payload),
        QrCodeEcc::Medium,
        Version::MIN,
        Version::MAX,
        None,
        false,
    )
    .expect("a payload fits");
    let n = code.size() as usize;
    let side = n + 8;
    let mut svg = String::with_capacity(256 + n * n * 6);
    svg.push_str(r#"<?xml version="1.0" standalone="yes"?><svg xmlns="http://www.w3.org/2000/svg" version="1.1" width=""#);
    push_number(&mut svg, side);
    svg.push_str(r#"" height=""#);
    push_number(&mut svg, side);
    svg.push_str(r#"" viewBox="0 0 "#);
    push_number(&mut svg, side);
    svg.push(' ');
    push_number(&mut svg, side);
    svg.push_str(r#"" shape-rendering="crispEdges"><path d="M0 0h"#);
    push_number(&mut svg, side);
    svg.push('v');
    push_number(&mut svg, side);
    svg.push_str(r##"H0z" fill="#ffffff"/><path fill="#000000" d=""##);
    for y in 0..n {
        let mut x = 0;
        while x < n {
            if !code.get_module(x as i32, y as i32) {
                x += 1;
                continue;
            }
            let run = (x..n)
                .take_while(|&x| code.get_module(x as i32, y as i32))
                .count();
            svg.push('M');
            push_number(&mut svg, x + 4);
            svg.push(' ');
            push_number(&mut svg, y + 4);
            svg.push('h');
            push_number(&mut svg, run);
            svg.push_str("v1h-");
            push_number(&mut svg, run);
            svg.push('z');
            x += run;
        }
    }
    svg.push_str(r#""/></svg>"#);
    svg
}

/// Appends `value` in decimal, as the crate's writer did.
fn push_number(out: &mut String, mut value: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// The frame with `fast_qr`: level M, its own SVG writer.
fn fast_qr_svg(payload: String) -> String {
    use fast_qr::convert::svg::SvgBuilder;
    let code = fast_qr::QRBuilder::new(payload)
        .ecl(fast_qr::ECL::M)
        .build()
        .expect("a payload fits");
    SvgBuilder::default().to_str(&code)
}

pub async fn run(ctx: &Ctx) -> Result<Metrics, String> {
    let qr = BankIdQr::new(
        "67df3917-fa0d-44e5-b327-edcc928297f8",
        QrStartSecret::new("d28db9a7-4cde-429e-a983-359be676944c"),
        Instant::now(),
    );
    let batches = ctx.pick(15, 60);
    let frame = per_call(batches, 20_000, |i| {
        black_box(qr.payload_at(black_box(i % 90)));
    });
    // Same modules, same document: ours and the reference agree.
    let payload = qr.payload_at(5);
    let image = QrImage::new(&payload).map_err(|e| e.to_string())?;
    if image.to_svg() != qrcodegen_svg(&payload) {
        return Err("the SVG differs from the one of qrcodegen's modules".into());
    }
    let [ours, qrcodegen, fast_qr] = interleaved(
        batches,
        ctx.pick(40, 200),
        &mut [
            &mut |i| {
                let image = QrImage::new(&qr.payload_at(i % 90)).expect("a payload fits");
                black_box(image.to_svg());
            },
            &mut |i| {
                black_box(qrcodegen_svg(&qr.payload_at(i % 90)));
            },
            &mut |i| {
                black_box(fast_qr_svg(qr.payload_at(i % 90)));
            },
        ],
    );
    let render_only = per_call(batches, ctx.pick(400, 2_000), |_| {
        black_box(image.to_svg());
    });
    let us = |d: Duration| round(d.as_secs_f64() * 1e6, 1);
    let ratio = |peer: Duration| round(ours.as_secs_f64() / peer.as_secs_f64(), 3);
    Ok(vec![
        metric("qr_frame_ns", round(frame.as_secs_f64() * 1e9, 0)),
        metric("qr_svg_us", us(ours)),
        metric("qr_svg_qrcodegen_us", us(qrcodegen)),
        metric("qr_svg_fast_qr_us", us(fast_qr)),
        metric("qr_svg_ratio_qrcodegen", ratio(qrcodegen)),
        metric("qr_svg_ratio_fast_qr", ratio(fast_qr)),
        metric("qr_svg_render_only_us", us(render_only)),
        metric("qr_modules", image.modules() as u64),
    ])
}
