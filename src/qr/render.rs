//! QR code rendering (feature `qr`): SVG, PNG and a compact terminal drawing.
//!
//! Works for any text: a BankID frame from [`BankIdQr`](super::BankIdQr) or
//! Freja's `qrData`. Every rendering has a quiet zone of four modules and is
//! dark-on-light, as scanners expect.
//!
//! The encoder is this crate's own: error correction level M, the smallest
//! version that fits, and the mask chosen by the specification's penalty
//! rules (all eight masks scored over the complete symbol, the lowest wins),
//! with every module equal to what `qrcodegen` (Project Nayuki's reference
//! implementation) makes of the same text, which the tests prove. It holds
//! the symbol as bit sets and scores the masks with word operations, so a
//! frame with its SVG takes microseconds.
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

mod encode;

// A row of the encoder's bit layout is a row of the image, quiet zone
// included.
const _: () = assert!(encode::PAD == QUIET_ZONE);

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

/// A QR code ready to render (error correction level M, mask chosen by the
/// specification's penalty rules).
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
    /// Width (= height) in modules.
    size: usize,
    /// Words per row in `rows`.
    stride: usize,
    /// The symbol's rows, `stride` words each: bit `x` of a row is column
    /// `x` of the image with its quiet zone (module `x - QUIET_ZONE`),
    /// set for dark.
    rows: Vec<u64>,
}

/// Why a text could not be turned into a QR image. Converts into
/// [`crate::Error::QrRender`] (`?` works in a function returning
/// [`crate::Result`]).
///
/// ```
/// use identisure::qr::render::{QrImage, RenderError};
///
/// let too_long = "x".repeat(5_000);
/// let err = QrImage::new(&too_long).unwrap_err();
/// assert!(matches!(err, RenderError::Encode(ref e) if e.bytes() == 5_000));
/// assert!(err.to_string().contains("does not fit in a QR code"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RenderError {
    /// The text does not fit in a QR code at error correction level M.
    Encode(TooLong),
    /// The PNG encoder failed.
    Png(png::EncodingError),
    /// The requested PNG module size is zero or makes the image too large.
    ModuleSize(u32),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encode(e) => write!(
                f,
                "cannot encode the text as a QR code: {e}; render only a BankID frame or \
                 Freja's qrData"
            ),
            Self::Png(e) => write!(f, "cannot encode the PNG image: {e}"),
            Self::ModuleSize(px) => write!(
                f,
                "module size {px} px is out of range: pick 1..={MAX_MODULE_PX} px"
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

/// The text given to [`QrImage::new`] is longer than a QR code at error
/// correction level M holds (version 40: 2331 bytes of general text, 3391
/// characters of upper-case alphanumeric text, or 5596 digits).
///
/// Only the length is kept: the text itself stays out of errors and logs.
///
/// ```
/// use identisure::qr::render::{QrImage, RenderError};
///
/// let Err(RenderError::Encode(e)) = QrImage::new(&"a".repeat(2332)) else {
///     panic!("2332 bytes do not fit");
/// };
/// assert_eq!(e.bytes(), 2332);
/// assert!(QrImage::new(&"a".repeat(2331)).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    bytes: usize,
}

impl TooLong {
    /// Length of the rejected text in bytes (UTF-8).
    ///
    /// ```
    /// use identisure::qr::render::{QrImage, RenderError};
    ///
    /// let err = QrImage::new(&"9".repeat(6_000)).unwrap_err();
    /// assert!(matches!(err, RenderError::Encode(e) if e.bytes() == 6_000));
    /// ```
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a text of {} bytes does not fit in a QR code at error correction level M \
             (at most {MAX_BYTES} bytes of general text, {MAX_ALPHANUMERIC} upper-case \
             alphanumeric characters or {MAX_DIGITS} digits)",
            self.bytes
        )
    }
}

impl std::error::Error for TooLong {}

/// Capacities of version 40 at error correction level M (ISO/IEC 18004
/// table 7): byte, alphanumeric and numeric mode.
const MAX_BYTES: usize = 2331;
const MAX_ALPHANUMERIC: usize = 3391;
const MAX_DIGITS: usize = 5596;

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
    /// Encodes `text`: one segment in the densest mode that holds all of it
    /// (numeric, alphanumeric or byte), error correction level M (never
    /// raised), the smallest version that fits, and the mask with the lowest
    /// penalty under the specification's rules.
    ///
    /// A text that does not fit is an [`RenderError::Encode`] error.
    ///
    /// ```
    /// let image = identisure::qr::render::QrImage::new("frejaeid://x").unwrap();
    /// assert!(image.modules() >= 21);
    /// ```
    pub fn new(text: &str) -> Result<Self, RenderError> {
        let too_long = || RenderError::Encode(TooLong { bytes: text.len() });
        // No mode packs more than MAX_DIGITS characters into a symbol: refuse
        // longer texts before the encoder expands them into bits.
        if text.len() > MAX_DIGITS {
            return Err(too_long());
        }
        let modules = encode::encode(text).ok_or_else(too_long)?;
        Ok(Self {
            size: modules.size,
            stride: modules.stride,
            rows: modules.rows,
        })
    }

    /// Width (= height) of the code in modules, without the quiet zone.
    ///
    /// ```
    /// let image = identisure::qr::render::QrImage::new("hello").unwrap();
    /// assert_eq!(image.modules(), 21);
    /// ```
    pub fn modules(&self) -> usize {
        self.size
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
        let n = self.modules();
        if x < QUIET_ZONE || y < QUIET_ZONE || x >= n + QUIET_ZONE || y >= n + QUIET_ZONE {
            return false;
        }
        self.module(x - QUIET_ZONE, y - QUIET_ZONE)
    }

    /// The module at (`x`, `y`) of the symbol itself (no quiet zone), both
    /// below `modules()`.
    fn module(&self, x: usize, y: usize) -> bool {
        let bit = x + QUIET_ZONE;
        self.rows[y * self.stride + bit / 64] >> (bit % 64) & 1 == 1
    }

    fn side(&self) -> usize {
        self.modules() + 2 * QUIET_ZONE
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
        // found a word at a time and written in one pass into a buffer sized
        // for them up front: a frame is rendered every second for every QR
        // code on screen.
        let side = self.side();
        let rows = self.rows.chunks_exact(self.stride);
        let runs: usize = rows.clone().map(run_count).sum();
        let mut svg = Vec::with_capacity(SVG_FIXED_BYTES + runs * SVG_RUN_BYTES + SVG_SLACK);
        svg.extend_from_slice(br#"<?xml version="1.0" standalone="yes"?><svg xmlns="http://www.w3.org/2000/svg" version="1.1" width=""#);
        push_decimal(&mut svg, side);
        svg.extend_from_slice(br#"" height=""#);
        push_decimal(&mut svg, side);
        svg.extend_from_slice(br#"" viewBox="0 0 "#);
        push_decimal(&mut svg, side);
        svg.push(b' ');
        push_decimal(&mut svg, side);
        svg.extend_from_slice(br#"" shape-rendering="crispEdges"><path d="M0 0h"#);
        push_decimal(&mut svg, side);
        svg.push(b'v');
        push_decimal(&mut svg, side);
        svg.extend_from_slice(br##"H0z" fill="#ffffff"/><path fill="#000000" d=""##);
        // The runs are written in place, fixed-size copies at an index into
        // room made for the most they can take, which is cut to size after.
        let mut at = svg.len();
        svg.resize(at + runs * SVG_RUN_BYTES + SVG_SLACK, 0);
        for (y, row) in rows.enumerate() {
            // ` y h`, the same for every run of the row.
            let mut middle = [0u8; 8];
            middle[0] = b' ';
            let end = put_decimal(&mut middle, 1, y + QUIET_ZONE);
            middle[end] = b'h';
            let middle_len = end + 1;
            for (x, n) in dark_runs(row) {
                svg[at] = b'M';
                at = put_decimal(&mut svg, at + 1, x);
                svg[at..at + middle.len()].copy_from_slice(&middle);
                at = put_decimal(&mut svg, at + middle_len, n);
                svg[at..at + 4].copy_from_slice(b"v1h-");
                at = put_decimal(&mut svg, at + 4, n);
                svg[at] = b'z';
                at += 1;
            }
        }
        svg.truncate(at);
        svg.extend_from_slice(br#""/></svg>"#);
        String::from_utf8(svg).expect("the SVG is ASCII")
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

/// Bytes of the SVG besides its runs, at most (sides of up to 3 digits).
const SVG_FIXED_BYTES: usize = 320;
/// Bytes of one run at most: `M` x ` ` y `h` n `v1h-` n `z`, 3 digits each.
const SVG_RUN_BYTES: usize = 1 + 3 + 1 + 3 + 1 + 3 + 4 + 3 + 1;
/// Room past the last run that its fixed-size copies may touch.
const SVG_SLACK: usize = 8;

/// The runs of set bits of a row of words (bit `j` of word `i` is position
/// `64 * i + j`), as (first position, length), left to right. The row's
/// last bit must be clear (the quiet zone), so that every run ends in it.
fn dark_runs(row: &[u64]) -> impl Iterator<Item = (usize, usize)> + '_ {
    // The edges: the positions whose bit differs from the one before,
    // where runs start and end, alternately.
    let mut carry = 0;
    let mut edges = row.iter().enumerate().flat_map(move |(i, &word)| {
        let mut edges = word ^ (word << 1 | carry);
        carry = word >> 63;
        std::iter::from_fn(move || {
            (edges != 0).then(|| {
                let bit = edges.trailing_zeros() as usize;
                edges &= edges - 1;
                64 * i + bit
            })
        })
    });
    std::iter::from_fn(move || {
        let start = edges.next()?;
        let end = edges.next()?;
        Some((start, end - start))
    })
}

/// How many runs of set bits a row of words holds.
fn run_count(row: &[u64]) -> usize {
    let mut carry = 0;
    let mut runs = 0;
    for &word in row {
        runs += (word & !(word << 1 | carry)).count_ones() as usize;
        carry = word >> 63;
    }
    runs
}

/// The decimal digits of 0..=255 (an image is at most 185 modules wide),
/// left-aligned, and how many there are.
const DECIMAL: [([u8; 3], usize); 256] = {
    let mut table = [([0u8; 3], 0); 256];
    let mut value = 0;
    while value < 256 {
        let (h, t, u) = (
            (value / 100) as u8,
            (value / 10 % 10) as u8,
            (value % 10) as u8,
        );
        table[value] = if value >= 100 {
            ([b'0' + h, b'0' + t, b'0' + u], 3)
        } else if value >= 10 {
            ([b'0' + t, b'0' + u, 0], 2)
        } else {
            ([b'0' + u, 0, 0], 1)
        };
        value += 1;
    }
    table
};

/// Writes `value` (at most 255) in decimal at `buf[at..]`, which has room
/// for three digits; returns where it ends.
#[inline(always)]
fn put_decimal(buf: &mut [u8], at: usize, value: usize) -> usize {
    let (digits, len) = DECIMAL[value];
    buf[at..at + 3].copy_from_slice(&digits);
    at + len
}

/// Appends `value` (at most 255) in decimal.
fn push_decimal(out: &mut Vec<u8>, value: usize) {
    let (digits, len) = DECIMAL[value];
    out.extend_from_slice(&digits[..len]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcodegen::{QrCode, QrCodeEcc, QrSegment, Version};

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
        // One, two and three words a row.
        for text in [PAYLOAD, &"x".repeat(300), &"a".repeat(MAX_BYTES)] {
            let image = QrImage::new(text).unwrap();
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
    }

    /// The SVG as the module-by-module writer before the bit-set one wrote it.
    fn svg_module_by_module(image: &QrImage) -> String {
        let side = image.side();
        let mut svg = format!(
            r##"<?xml version="1.0" standalone="yes"?><svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{side}" height="{side}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><path d="M0 0h{side}v{side}H0z" fill="#ffffff"/><path fill="#000000" d=""##
        );
        for y in 0..side {
            let mut x = 0;
            while x < side {
                let run = (x..side).take_while(|&x| image.is_dark(x, y)).count();
                if run == 0 {
                    x += 1;
                } else {
                    svg += &format!("M{x} {y}h{run}v1h-{run}z");
                    x += run;
                }
            }
        }
        svg + r#""/></svg>"#
    }

    #[test]
    fn svg_is_the_document_of_before() {
        for text in super::tests::sample_texts() {
            let image = QrImage::new(&text).unwrap();
            assert_eq!(image.to_svg(), svg_module_by_module(&image), "{text}");
        }
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for value in 0..=255 {
            let mut out = b"x".to_vec();
            push_decimal(&mut out, value);
            assert_eq!(out, format!("x{value}").into_bytes());
            let mut buf = *b"ab....";
            let end = put_decimal(&mut buf, 2, value);
            assert_eq!(&buf[..end], format!("ab{value}").as_bytes());
        }
        let widest = QrImage::new(&"a".repeat(MAX_BYTES)).unwrap();
        assert!(widest.side() <= 255);
    }

    #[test]
    fn terminal_snapshot_of_the_reference_frame() {
        insta::assert_snapshot!(QrImage::new(PAYLOAD).unwrap().to_terminal());
    }

    /// Scans the image straight from `is_dark`, three pixels per module.
    fn scan(image: &QrImage) -> String {
        let side = image.modules() + 2 * QUIET_ZONE;
        let scale = 3;
        decode(side * scale, side * scale, |x, y| {
            image.is_dark(x / scale, y / scale)
        })
    }

    /// Error correction level bits and mask number from the format
    /// information next to the top-left finder (ISO/IEC 18004 7.9).
    fn format_info(image: &QrImage) -> (u32, u8) {
        let m = |x: usize, y: usize| u32::from(image.is_dark(x + QUIET_ZONE, y + QUIET_ZONE));
        let mut bits = 0;
        for i in 0..6 {
            bits |= m(8, i) << i;
        }
        bits |= m(8, 7) << 6 | m(8, 8) << 7 | m(7, 8) << 8;
        for i in 9..15 {
            bits |= m(14 - i, 8) << i;
        }
        let data = (bits ^ 0b101_0100_0001_0010) >> 10;
        (data >> 3, (data & 7) as u8)
    }

    /// Mask penalty of a whole symbol (function patterns and format bits
    /// included) by the four rules of ISO/IEC 18004 table 11, written
    /// independently of the encoder. N3 counts a dark:light:dark:light:dark
    /// run sequence in ratio 1:1:3:1:1 with light at least 4 units wide on
    /// one side (and at least 1 unit on the other); outside the symbol is
    /// light, as the quiet zone is.
    fn penalty(n: usize, dark: impl Fn(usize, usize) -> bool) -> u32 {
        const BORDER: usize = usize::MAX / 8;
        let mut score = 0;
        for transposed in [false, true] {
            for i in 0..n {
                let line: Vec<bool> = (0..n)
                    .map(|j| if transposed { dark(i, j) } else { dark(j, i) })
                    .collect();
                // N1: five or more alike in a row: 3 + (length - 5).
                for run in line.chunk_by(|a, b| a == b) {
                    if run.len() >= 5 {
                        score += 3 + (run.len() - 5) as u32;
                    }
                }
                // Run lengths alternating light (even index) and dark,
                // framed by the light border.
                let mut runs = vec![BORDER];
                for run in line.chunk_by(|a, b| a == b) {
                    let last_dark = runs.len() % 2 == 0;
                    match runs.last_mut() {
                        Some(last) if run[0] == last_dark => *last += run.len(),
                        _ => runs.push(run.len()),
                    }
                }
                if runs.len() % 2 == 1 {
                    let last = runs.len() - 1;
                    runs[last] += BORDER;
                } else {
                    runs.push(BORDER);
                }
                // N3: 40 per finder-like pattern.
                for k in (1..runs.len().saturating_sub(5)).step_by(2) {
                    let u = runs[k];
                    if runs[k + 1] == u
                        && runs[k + 2] == 3 * u
                        && runs[k + 3] == u
                        && runs[k + 4] == u
                    {
                        let (before, after) = (runs[k - 1], runs[k + 5]);
                        score += 40 * u32::from(before >= 4 * u && after >= u);
                        score += 40 * u32::from(after >= 4 * u && before >= u);
                    }
                }
            }
        }
        // N2: 3 per 2×2 block of one colour (overlapping blocks count).
        for y in 0..n - 1 {
            for x in 0..n - 1 {
                let c = dark(x, y);
                if c == dark(x + 1, y) && c == dark(x, y + 1) && c == dark(x + 1, y + 1) {
                    score += 3;
                }
            }
        }
        // N4: 10 per full 5 % step of the dark share away from 50 %.
        let total = n * n;
        let dark_count = (0..total).filter(|&i| dark(i % n, i / n)).count();
        let deviation = (20 * dark_count).abs_diff(10 * total);
        score + 10 * (deviation.div_ceil(total).saturating_sub(1)) as u32
    }

    /// A spread of texts: BankID frames, Freja-style links of growing
    /// length up to the byte capacity, and the other modes' capacities.
    pub(super) fn sample_texts() -> Vec<String> {
        let qr = super::super::BankIdQr::new(
            "67df3917-fa0d-44e5-b327-edcc928297f8",
            crate::QrStartSecret::new("d28db9a7-4cde-429e-a983-359be676944c"),
            std::time::Instant::now(),
        );
        let mut texts: Vec<String> = (0..30).map(|t| qr.payload_at(t * 3)).collect();
        let link = "frejaeid://bindUserToTransaction?transactionReference=";
        for len in [8, 40, 120, 300, 700, 1200, MAX_BYTES - link.len()] {
            let reference: String = (0..len)
                .map(|i| char::from(b"AZaz09+/="[(i * 7 + len) % 9]))
                .collect();
            texts.push(format!("{link}{reference}"));
        }
        texts
            .push("A1 $%*+-./:".repeat(MAX_ALPHANUMERIC / 11) + &"Z".repeat(MAX_ALPHANUMERIC % 11));
        texts.push("0123456789".repeat(MAX_DIGITS / 10) + &"7".repeat(MAX_DIGITS % 10));
        texts.push("å".into());
        texts
    }

    #[test]
    fn texts_of_every_size_scan_back() {
        for text in sample_texts() {
            let image = QrImage::new(&text).unwrap();
            assert_eq!(scan(&image), text, "{} modules", image.modules());
        }
    }

    #[test]
    fn level_is_m_and_the_mask_has_the_lowest_penalty() {
        let mut versions = std::collections::BTreeSet::new();
        for text in sample_texts() {
            let image = QrImage::new(&text).unwrap();
            let n = image.modules();
            versions.insert((n - 17) / 4);
            let (level, mask) = format_info(&image);
            assert_eq!(level, 0b00, "level M, {n} modules");
            // The same data under each of the eight masks.
            let penalties: Vec<u32> = (0..8)
                .map(|m| {
                    let code = QrCode::encode_segments_advanced(
                        &QrSegment::make_segments(&text),
                        QrCodeEcc::Medium,
                        Version::MIN,
                        Version::MAX,
                        Some(qrcodegen::Mask::new(m)),
                        false,
                    )
                    .unwrap();
                    if m == mask {
                        let same = (0..n).all(|y| {
                            (0..n)
                                .all(|x| code.get_module(x as i32, y as i32) == image.module(x, y))
                        });
                        assert!(same, "mask {m} gives the same symbol");
                    }
                    penalty(n, |x, y| code.get_module(x as i32, y as i32))
                })
                .collect();
            // The encoder's bit-set scoring gives each mask the same score.
            let (ours, chosen) = encode::penalties(&text);
            assert_eq!(ours.to_vec(), penalties, "{n} modules");
            assert_eq!(chosen, usize::from(mask), "{n} modules");
            let lowest = *penalties.iter().min().unwrap();
            assert_eq!(
                penalties[usize::from(mask)],
                lowest,
                "{n} modules: {penalties:?}, mask {mask}"
            );
        }
        assert!(
            versions.len() >= 8 && versions.contains(&7) && versions.contains(&40),
            "{versions:?}"
        );
    }

    #[test]
    fn too_long_texts_are_refused_with_their_length_only() {
        for (text, bytes) in [
            ("a".repeat(MAX_BYTES + 1), MAX_BYTES + 1),
            ("A".repeat(MAX_ALPHANUMERIC + 1), MAX_ALPHANUMERIC + 1),
            ("1".repeat(MAX_DIGITS + 1), MAX_DIGITS + 1),
            ("ö".repeat(MAX_BYTES / 2 + 1), MAX_BYTES + 1),
            ("secret".repeat(2_000_000), 12_000_000),
        ] {
            let err = QrImage::new(&text).unwrap_err();
            assert!(
                matches!(&err, RenderError::Encode(e) if e.bytes() == bytes),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(message.contains(&format!("{bytes} bytes")), "{message}");
            assert!(message.contains("level M"), "{message}");
            assert!(
                !message.contains("aaaa") && !message.contains("secret"),
                "{message}"
            );
            assert!(std::error::Error::source(&err).is_some());
        }
    }

    #[test]
    fn debug_shows_the_size_only() {
        let image = QrImage::new(PAYLOAD).unwrap();
        assert_eq!(format!("{image:?}"), "QrImage { modules: 45 }");
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
