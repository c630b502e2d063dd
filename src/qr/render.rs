//! QR code rendering (feature `qr`): SVG, PNG and a compact terminal drawing.
//!
//! Works for any text: a BankID frame from [`BankIdQr`](super::BankIdQr) or
//! Freja's `qrData`. Every rendering has a quiet zone of four modules and is
//! dark-on-light, as scanners expect.
//!
//! ```
//! use identisure::qr::render::QrImage;
//!
//! let image = QrImage::new("bankid.token.0.abc").unwrap();
//! assert!(image.to_svg().starts_with("<?xml"));
//! assert!(image.to_png(4).unwrap().starts_with(b"\x89PNG"));
//! assert!(image.to_terminal().contains('█'));
//! ```

use std::fmt;

use qrcode::{Color, QrCode};

/// Modules of blank margin around every rendering (the QR specification's
/// recommended quiet zone).
///
/// ```
/// use identisure::qr::render::{QrImage, QUIET_ZONE};
///
/// let image = QrImage::new("hello").unwrap();
/// let rows = image.to_terminal().lines().count();
/// assert_eq!(rows, (image.modules() + 2 * QUIET_ZONE).div_ceil(2));
/// ```
pub const QUIET_ZONE: usize = 4;

/// A QR code ready to render, encoded by the `qrcode` crate (error correction
/// level M).
///
/// `Debug` shows only the size: the encoded text stays out of logs.
///
/// ```
/// use identisure::qr::render::QrImage;
///
/// let image = QrImage::new("hello").unwrap();
/// assert_eq!(image.modules(), 21); // version 1
/// assert_eq!(format!("{image:?}"), "QrImage { modules: 21 }");
/// ```
#[derive(Clone)]
pub struct QrImage {
    code: QrCode,
}

/// Why a text could not be turned into a QR image.
///
/// ```
/// use identisure::qr::render::{QrImage, RenderError};
///
/// let too_long = "x".repeat(5_000);
/// assert!(matches!(QrImage::new(&too_long), Err(RenderError::Encode(_))));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RenderError {
    /// The text does not fit in a QR code.
    Encode(qrcode::types::QrError),
    /// The PNG encoder failed.
    Png(png::EncodingError),
    /// The requested PNG module size is zero or makes the image too large.
    ModuleSize(u32),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encode(e) => write!(f, "cannot encode the text as a QR code: {e}"),
            Self::Png(e) => write!(f, "cannot encode the PNG image: {e}"),
            Self::ModuleSize(px) => write!(
                f,
                "module size {px} px is out of range (1..={MAX_MODULE_PX})"
            ),
        }
    }
}

impl std::error::Error for RenderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Encode(e) => Some(e),
            Self::Png(e) => Some(e),
            Self::ModuleSize(_) => None,
        }
    }
}

/// Largest accepted PNG module size in pixels.
///
/// ```
/// use identisure::qr::render::{MAX_MODULE_PX, QrImage};
///
/// let image = QrImage::new("hello").unwrap();
/// assert!(image.to_png(MAX_MODULE_PX).is_ok());
/// assert!(image.to_png(MAX_MODULE_PX + 1).is_err());
/// ```
pub const MAX_MODULE_PX: u32 = 64;

/// The terminal's background, which decides how the terminal drawing is
/// inked so that the code always appears dark-on-light.
///
/// ```
/// use identisure::qr::render::{QrImage, TerminalBackground};
///
/// let image = QrImage::new("hi").unwrap();
/// let dark = image.to_terminal_for(TerminalBackground::Dark);
/// let light = image.to_terminal_for(TerminalBackground::Light);
/// assert_ne!(dark, light);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TerminalBackground {
    /// Light text on a dark background (most terminals): light modules and
    /// the quiet zone are drawn with blocks, dark modules left blank.
    #[default]
    Dark,
    /// Dark text on a light background: dark modules are drawn with blocks.
    Light,
}

impl QrImage {
    /// Encodes `text` (error correction level M, smallest version that fits).
    ///
    /// ```
    /// let image = identisure::qr::render::QrImage::new("frejaeid://x").unwrap();
    /// assert!(image.modules() >= 21);
    /// ```
    pub fn new(text: &str) -> Result<Self, RenderError> {
        QrCode::new(text.as_bytes())
            .map(|code| Self { code })
            .map_err(RenderError::Encode)
    }

    /// Width (= height) of the code in modules, without the quiet zone.
    ///
    /// ```
    /// let image = identisure::qr::render::QrImage::new("hello").unwrap();
    /// assert_eq!(image.modules(), 21);
    /// ```
    pub fn modules(&self) -> usize {
        self.code.width()
    }

    /// Whether the module at (`x`, `y`) is dark; coordinates include the
    /// quiet zone (which is light), so they run to `modules() + 2 * QUIET_ZONE`.
    ///
    /// ```
    /// use identisure::qr::render::{QrImage, QUIET_ZONE};
    ///
    /// let image = QrImage::new("hello").unwrap();
    /// assert!(!image.is_dark(0, 0)); // quiet zone
    /// assert!(image.is_dark(QUIET_ZONE, QUIET_ZONE)); // finder pattern corner
    /// ```
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        let n = self.code.width();
        if x < QUIET_ZONE || y < QUIET_ZONE || x >= n + QUIET_ZONE || y >= n + QUIET_ZONE {
            return false;
        }
        self.code[(x - QUIET_ZONE, y - QUIET_ZONE)] == Color::Dark
    }

    fn side(&self) -> usize {
        self.code.width() + 2 * QUIET_ZONE
    }

    /// An SVG document (black on white, one user unit per module, scalable).
    ///
    /// ```
    /// let svg = identisure::qr::render::QrImage::new("hello").unwrap().to_svg();
    /// assert!(svg.contains("<svg"));
    /// assert!(svg.contains(r#"viewBox="0 0 29 29""#));
    /// ```
    pub fn to_svg(&self) -> String {
        // One path of horizontal runs of dark modules (`M x y h n v1 h-n z`),
        // written straight into one buffer: a frame is rendered every second
        // for every QR code on screen, so this stays cheap.
        let n = self.code.width();
        let side = self.side();
        let colors = self.code.to_colors();
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
        for (y, row) in colors.chunks(n).enumerate() {
            let mut x = 0;
            while x < n {
                if row[x] != Color::Dark {
                    x += 1;
                    continue;
                }
                let run = row[x..].iter().take_while(|&&c| c == Color::Dark).count();
                svg.push('M');
                push_number(&mut svg, x + QUIET_ZONE);
                svg.push(' ');
                push_number(&mut svg, y + QUIET_ZONE);
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

    /// An 8-bit grayscale PNG, `module_px` pixels per module
    /// (1..=[`MAX_MODULE_PX`]), quiet zone included.
    ///
    /// ```
    /// let png = identisure::qr::render::QrImage::new("hello").unwrap().to_png(8).unwrap();
    /// assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    /// assert!(identisure::qr::render::QrImage::new("hello").unwrap().to_png(0).is_err());
    /// ```
    pub fn to_png(&self, module_px: u32) -> Result<Vec<u8>, RenderError> {
        if module_px == 0 || module_px > MAX_MODULE_PX {
            return Err(RenderError::ModuleSize(module_px));
        }
        let side = self.side();
        let px = module_px as usize;
        let dim = side * px;
        let dim_u32 = u32::try_from(dim).map_err(|_| RenderError::ModuleSize(module_px))?;
        let mut pixels = Vec::with_capacity(dim * dim);
        for y in 0..dim {
            for x in 0..dim {
                pixels.push(if self.is_dark(x / px, y / px) { 0 } else { 255 });
            }
        }
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, dim_u32, dim_u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(RenderError::Png)?;
        writer.write_image_data(&pixels).map_err(RenderError::Png)?;
        writer.finish().map_err(RenderError::Png)?;
        Ok(out)
    }

    /// A compact drawing for a terminal with a dark background (the common
    /// case): two modules per character cell using Unicode half blocks.
    /// See [`QrImage::to_terminal_for`].
    ///
    /// ```
    /// let text = identisure::qr::render::QrImage::new("hello").unwrap().to_terminal();
    /// // 21 modules + 2 × 4 quiet zone = 29 columns, 15 rows of two modules.
    /// assert_eq!(text.lines().count(), 15);
    /// assert!(text.lines().all(|l| l.chars().count() == 29));
    /// ```
    pub fn to_terminal(&self) -> String {
        self.to_terminal_for(TerminalBackground::Dark)
    }

    /// A compact drawing for a terminal with the given background: each
    /// character cell holds two modules stacked vertically (`▀`, `▄`, `█` or
    /// a space), each line ends with `\n`.
    ///
    /// ```
    /// use identisure::qr::render::{QrImage, TerminalBackground};
    ///
    /// let text = QrImage::new("hello").unwrap().to_terminal_for(TerminalBackground::Light);
    /// // On a light background the quiet zone is blank.
    /// assert!(text.lines().next().unwrap().chars().all(|c| c == ' '));
    /// ```
    pub fn to_terminal_for(&self, background: TerminalBackground) -> String {
        let side = self.side();
        // "Ink" is what the glyph's foreground draws.
        let ink = |x: usize, y: usize| -> bool {
            if y >= side {
                // The padding half-row below an odd height is never inked,
                // so it shows the background.
                return false;
            }
            match background {
                TerminalBackground::Dark => !self.is_dark(x, y),
                TerminalBackground::Light => self.is_dark(x, y),
            }
        };
        let mut out = String::with_capacity((side + 1) * side.div_ceil(2) * 3);
        for row in (0..side).step_by(2) {
            for x in 0..side {
                out.push(match (ink(x, row), ink(x, row + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push('\n');
        }
        out
    }
}

impl fmt::Debug for QrImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrImage")
            .field("modules", &self.modules())
            .finish()
    }
}

impl super::BankIdQr {
    /// The QR image for second `t` (feature `qr`).
    ///
    /// ```
    /// use std::time::Instant;
    /// use identisure::qr::BankIdQr;
    ///
    /// let qr = BankIdQr::new("tok", "s".into(), Instant::now());
    /// let svg = qr.image_at(0).unwrap().to_svg();
    /// assert!(svg.contains("<svg"));
    /// ```
    pub fn image_at(&self, t: u64) -> Result<QrImage, RenderError> {
        QrImage::new(&self.payload_at(t))
    }
}

/// Appends `value` in decimal (no formatting machinery: this runs per run
/// of modules).
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

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str = "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8";

    /// Decodes a grid of dark/light pixels with an independent QR reader.
    fn decode(width: usize, height: usize, dark: impl Fn(usize, usize) -> bool) -> String {
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            if dark(x, y) { 0 } else { 255 }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "expected exactly one QR code");
        grids[0].decode().expect("QR decodes").1
    }

    #[test]
    fn png_scans_back_to_the_payload() {
        let png_bytes = QrImage::new(PAYLOAD).unwrap().to_png(4).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        let (w, h) = (info.width as usize, info.height as usize);
        assert_eq!(w, h);
        let text = decode(w, h, |x, y| buf[y * w + x] < 128);
        assert_eq!(text, PAYLOAD);
    }

    /// Reads a terminal drawing back into modules, as a phone camera sees it
    /// on a terminal of the given background, and decodes it.
    fn scan_terminal(text: &str, background: TerminalBackground) -> String {
        let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        let width = lines[0].len();
        assert!(lines.iter().all(|l| l.len() == width));
        let height = lines.len() * 2;
        let scale = 4;
        let inked = |x: usize, y: usize| {
            let c = lines[y / 2][x];
            match (c, y % 2) {
                ('█', _) | ('▀', 0) | ('▄', 1) => true,
                (' ' | '▀' | '▄', _) => false,
                other => panic!("unexpected glyph {other:?}"),
            }
        };
        decode(width * scale, height * scale, |x, y| {
            let ink = inked(x / scale, y / scale);
            match background {
                // Light ink on a dark terminal: un-inked cells look dark.
                TerminalBackground::Dark => !ink,
                TerminalBackground::Light => ink,
            }
        })
    }

    #[test]
    fn terminal_rendering_scans_on_both_backgrounds() {
        let image = QrImage::new(PAYLOAD).unwrap();
        for bg in [TerminalBackground::Dark, TerminalBackground::Light] {
            let text = image.to_terminal_for(bg);
            assert_eq!(scan_terminal(&text, bg), PAYLOAD, "{bg:?}");
            let side = image.modules() + 2 * QUIET_ZONE;
            assert_eq!(text.lines().count(), side.div_ceil(2));
        }
    }

    #[test]
    fn terminal_quiet_zone_is_light() {
        let text = QrImage::new(PAYLOAD).unwrap().to_terminal();
        // On a dark terminal the light quiet zone is inked with full blocks.
        let first = text.lines().next().unwrap();
        assert!(first.chars().all(|c| c == '█'), "{first}");
        let lines: Vec<&str> = text.lines().collect();
        let (last, body) = lines.split_last().unwrap();
        for line in body {
            assert!(line.starts_with("████"), "{line}");
            assert!(line.ends_with("████"), "{line}");
        }
        // 29 modules: the last cell row holds one quiet-zone row over the
        // unlit padding half.
        assert!(last.chars().all(|c| c == '▀'), "{last}");
    }

    #[test]
    fn svg_has_quiet_zone_and_both_colors() {
        let image = QrImage::new(PAYLOAD).unwrap();
        let svg = image.to_svg();
        let side = image.modules() + 2 * QUIET_ZONE;
        assert!(
            svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)),
            "{svg}"
        );
        assert!(svg.contains("#000000") && svg.contains("#ffffff"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn svg_path_covers_exactly_the_dark_modules() {
        let image = QrImage::new(PAYLOAD).unwrap();
        let svg = image.to_svg();
        let side = image.modules() + 2 * QUIET_ZONE;
        let d = svg
            .split(r##"<path fill="#000000" d=""##)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        let mut painted = vec![false; side * side];
        for run in d.split('z').filter(|r| !r.is_empty()) {
            // M{x} {y}h{n}v1h-{n}
            let rest = run.strip_prefix('M').unwrap();
            let (x, rest) = rest.split_once(' ').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let (n, rest) = rest.split_once("v1h-").unwrap();
            assert_eq!(n, rest, "{run}");
            let (x, y, n): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
            for dx in 0..n {
                assert!(!painted[y * side + x + dx], "painted twice: {run}");
                painted[y * side + x + dx] = true;
            }
        }
        for y in 0..side {
            for x in 0..side {
                assert_eq!(painted[y * side + x], image.is_dark(x, y), "({x}, {y})");
            }
        }
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for value in [0, 7, 10, 45, 177, 1000, usize::MAX] {
            let mut out = String::from("x");
            push_number(&mut out, value);
            assert_eq!(out, format!("x{value}"));
        }
    }

    #[test]
    fn terminal_snapshot_of_the_reference_frame() {
        insta::assert_snapshot!(QrImage::new(PAYLOAD).unwrap().to_terminal());
    }

    #[test]
    fn png_module_size_is_checked() {
        let image = QrImage::new("x").unwrap();
        assert!(matches!(image.to_png(0), Err(RenderError::ModuleSize(0))));
        assert!(matches!(
            image.to_png(MAX_MODULE_PX + 1),
            Err(RenderError::ModuleSize(_))
        ));
    }
}
