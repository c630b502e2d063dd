//! `qr_frame_ns`: one BankID QR payload; `qr_svg_us`: one frame's SVG (the
//! payload encoded as a QR code and rendered), plus the rendering alone.

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
    let svg = per_call(batches, ctx.pick(40, 200), |i| {
        let image = QrImage::new(&qr.payload_at(i % 90)).expect("a payload fits");
        black_box(image.to_svg());
    });
    let image = QrImage::new(&qr.payload_at(5)).map_err(|e| e.to_string())?;
    let render_only = per_call(batches, ctx.pick(40, 200), |_| {
        black_box(image.to_svg());
    });
    Ok(vec![
        metric("qr_frame_ns", round(frame.as_secs_f64() * 1e9, 0)),
        metric("qr_svg_us", round(svg.as_secs_f64() * 1e6, 1)),
        metric(
            "qr_svg_render_only_us",
            round(render_only.as_secs_f64() * 1e6, 1),
        ),
        metric("qr_modules", image.modules() as u64),
    ])
}
