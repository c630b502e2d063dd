//! The QR encoder behind [`QrImage`](super::QrImage) (ISO/IEC 18004):
//! error correction level M, one segment in the densest mode that holds the
//! whole text, the smallest version that fits, and the mask with the lowest
//! penalty.
//!
//! It produces the same symbol as `qrcodegen` (Project Nayuki's reference
//! implementation) given the same text, module for module and with the same
//! mask (the tests compare the two on every kind of text and on 10,000
//! BankID frames). What makes it fast is the mask choice: the symbol is held
//! as bit sets, every row and every column a line of 64-bit words, so each
//! of the eight masks is applied with a few word operations per line and
//! scored by the four penalty rules with word operations too: runs of five
//! or more alike, 2×2 blocks of one colour and finder-like patterns are
//! found by shifting and AND-ing whole lines, and the dark share is a
//! popcount. Finder-like patterns wider than one module a unit (rare) are
//! checked one by one at the dark runs of six or more.
//!
//! The rules are scored exactly as the reference scores them, which is
//! what decides the mask: N1 counts runs inside the symbol only; N3 counts
//! a dark, light, dark, light, dark sequence of exact runs in the ratio
//! 1:1:3:1:1 once for four units of light before it (the light border
//! around the symbol counts) and one after, and once more for four after
//! and one before; N2 counts overlapping 2×2 blocks; N4 whole 5 % steps of
//! the dark share away from half; ties go to the lower mask.
//!
//! What does not depend on the text is made once: the function patterns
//! and the codeword placement of versions 1 to 10 (the versions of BankID
//! frames and Freja links), and the Reed–Solomon generators' product
//! tables.
//! # Layout
//!
//! A line (a row, or a column) is `W` words, `W` the smallest that holds
//! the symbol's width plus [`PAD`] light modules on each side: bit `x + PAD`
//! is module `x`; every other bit is 0 (light). The padding stands for the
//! light border that the penalty rules see around the symbol, and, with
//! `PAD` equal to the quiet zone, a row is also a row of the rendered image.

use std::borrow::Cow;
use std::ops::{BitAnd, BitXor, Not};
use std::sync::OnceLock;

/// Light modules before module 0 of every line (the quiet zone's width).
pub(super) const PAD: usize = 4;

/// The modules of an encoded symbol.
pub(super) struct Modules {
    /// Width (= height) in modules.
    pub(super) size: usize,
    /// Words per row.
    pub(super) stride: usize,
    /// Row `y` is `rows[y * stride..][..stride]`, laid out as a line (module
    /// `x` at bit `x + PAD`, `true` for dark).
    pub(super) rows: Vec<u64>,
}

/// Encodes `text` at level M, or `None` when no version holds it.
pub(super) fn encode(text: &str) -> Option<Modules> {
    let (version, codewords) = codewords(text.as_bytes())?;
    let layout = layout(version);
    Some(match layout.stride {
        1 => modules(&Unmasked::<1>::new(&layout, &codewords).finish().1),
        2 => modules(&Unmasked::<2>::new(&layout, &codewords).finish().1),
        _ => modules(&Unmasked::<3>::new(&layout, &codewords).finish().1),
    })
}

/* ---- Data and error correction codewords ---- */

/// Error correction codewords per block at level M, by version (index 0
/// unused); ISO/IEC 18004 table 9.
const ECC_PER_BLOCK: [usize; 41] = [
    0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
];

/// Error correction blocks at level M, by version (index 0 unused).
const BLOCKS: [usize; 41] = [
    0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23,
    25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
];

/// The encoding mode of the one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Numeric,
    Alphanumeric,
    Byte,
}

/// The alphanumeric mode's characters, in the order of their values.
const ALPHANUMERIC: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Value + 1 of every byte in alphanumeric mode, 0 for the others.
const ALPHANUMERIC_VALUE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < ALPHANUMERIC.len() {
        table[ALPHANUMERIC[i] as usize] = i as u8 + 1;
        i += 1;
    }
    table
};

impl Mode {
    /// The densest mode that holds all of `text`.
    fn of(text: &[u8]) -> Self {
        if text.iter().all(u8::is_ascii_digit) {
            Self::Numeric
        } else if text
            .iter()
            .all(|&b| ALPHANUMERIC_VALUE[usize::from(b)] != 0)
        {
            Self::Alphanumeric
        } else {
            Self::Byte
        }
    }

    fn indicator(self) -> u32 {
        match self {
            Self::Numeric => 0b0001,
            Self::Alphanumeric => 0b0010,
            Self::Byte => 0b0100,
        }
    }

    /// Width of the character count field in `version`.
    fn count_bits(self, version: usize) -> u32 {
        let widths = match self {
            Self::Numeric => [10, 12, 14],
            Self::Alphanumeric => [9, 11, 13],
            Self::Byte => [8, 16, 16],
        };
        widths[(version + 7) / 17]
    }

    /// Bits of `len` characters of data.
    fn data_bits(self, len: usize) -> usize {
        match self {
            Self::Numeric => len / 3 * 10 + [0, 4, 7][len % 3],
            Self::Alphanumeric => len / 2 * 11 + len % 2 * 6,
            Self::Byte => len * 8,
        }
    }
}

/// Modules of `version` that carry codeword bits (remainder bits included).
fn raw_data_modules(version: usize) -> usize {
    let mut modules = (16 * version + 128) * version + 64;
    if version >= 2 {
        let alignments = version / 7 + 2;
        modules -= (25 * alignments - 10) * alignments - 55;
        if version >= 7 {
            modules -= 36;
        }
    }
    modules
}

/// Data codewords of `version` at level M.
fn data_codewords(version: usize) -> usize {
    raw_data_modules(version) / 8 - ECC_PER_BLOCK[version] * BLOCKS[version]
}

/// Big-endian bit writer.
struct BitWriter {
    bytes: Vec<u8>,
    pending: u64,
    pending_bits: u32,
}

impl BitWriter {
    fn with_capacity(bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bytes),
            pending: 0,
            pending_bits: 0,
        }
    }

    /// Appends the `len` (≤ 32) low bits of `value`.
    fn push(&mut self, value: u32, len: u32) {
        self.pending = self.pending << len | u64::from(value);
        self.pending_bits += len;
        while self.pending_bits >= 8 {
            self.pending_bits -= 8;
            self.bytes.push((self.pending >> self.pending_bits) as u8);
        }
        self.pending &= (1 << self.pending_bits) - 1;
    }

    fn len(&self) -> usize {
        self.bytes.len() * 8 + self.pending_bits as usize
    }
}

/// The version and all codewords (data and error correction, interleaved)
/// of `text`, or `None` when it does not fit.
fn codewords(text: &[u8]) -> Option<(usize, Vec<u8>)> {
    let mode = Mode::of(text);
    // As the reference: an empty text is no segment at all.
    let segment_bits = |version| {
        if text.is_empty() {
            Some(0)
        } else {
            let count_bits = mode.count_bits(version);
            (text.len() < 1 << count_bits)
                .then(|| 4 + count_bits as usize + mode.data_bits(text.len()))
        }
    };
    let version =
        (1..=40).find(|&v| segment_bits(v).is_some_and(|bits| bits <= data_codewords(v) * 8))?;
    let capacity = data_codewords(version);
    let mut bits = BitWriter::with_capacity(raw_data_modules(version) / 8);
    if !text.is_empty() {
        bits.push(mode.indicator(), 4);
        bits.push(text.len() as u32, mode.count_bits(version));
        match mode {
            Mode::Numeric => {
                for group in text.chunks(3) {
                    let value = group
                        .iter()
                        .fold(0, |acc, &d| acc * 10 + u32::from(d - b'0'));
                    bits.push(value, group.len() as u32 * 3 + 1);
                }
            }
            Mode::Alphanumeric => {
                let value = |b: u8| u32::from(ALPHANUMERIC_VALUE[usize::from(b)] - 1);
                for pair in text.chunks(2) {
                    match *pair {
                        [a, b] => bits.push(value(a) * 45 + value(b), 11),
                        [a] => bits.push(value(a), 6),
                        _ => unreachable!("chunks of two"),
                    }
                }
            }
            Mode::Byte => {
                for &b in text {
                    bits.push(u32::from(b), 8);
                }
            }
        }
    }
    // Terminator (up to four zero bits), zeros to a byte boundary, then the
    // pad bytes 0xEC, 0x11, … up to the capacity.
    let terminator = (capacity * 8 - bits.len()).min(4) as u32;
    bits.push(0, terminator);
    let to_byte = (8 - bits.pending_bits) % 8;
    bits.push(0, to_byte);
    let mut data = bits.bytes;
    for pad in [0xEC, 0x11].into_iter().cycle() {
        if data.len() >= capacity {
            break;
        }
        data.push(pad);
    }
    Some((version, with_error_correction(version, &data)))
}

/// `data` split into the blocks of `version`, each followed by its
/// Reed–Solomon codewords, interleaved as the symbol holds them.
fn with_error_correction(version: usize, data: &[u8]) -> Vec<u8> {
    let blocks = BLOCKS[version];
    let ecc_len = ECC_PER_BLOCK[version];
    let raw = raw_data_modules(version) / 8;
    let short_blocks = blocks - raw % blocks;
    let short_len = raw / blocks - ecc_len;
    let block = |j: usize| {
        let start = j * short_len + j.saturating_sub(short_blocks);
        &data[start..start + short_len + usize::from(j >= short_blocks)]
    };
    let products = generator_products(ecc_len);
    let ecc: Vec<[u8; MAX_ECC]> = (0..blocks)
        .map(|j| reed_solomon_remainder(block(j), products))
        .collect();
    let mut all = Vec::with_capacity(raw);
    for i in 0..=short_len {
        for j in 0..blocks {
            if let Some(&b) = block(j).get(i) {
                all.push(b);
            }
        }
    }
    for i in 0..ecc_len {
        for remainder in &ecc {
            all.push(remainder[i]);
        }
    }
    all
}

/// Powers of the generator 2 of GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1,
/// twice over so that a sum of two logarithms indexes it directly.
const EXP: [u8; 510] = {
    let mut table = [0u8; 510];
    let mut value: u32 = 1;
    let mut i = 0;
    while i < 510 {
        table[i] = value as u8;
        value <<= 1;
        if value & 0x100 != 0 {
            value ^= 0x11D;
        }
        i += 1;
    }
    table
};

/// Discrete logarithms (index 0 unused).
const LOG: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 255 {
        table[EXP[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The product of two elements of GF(2^8).
const fn gf_multiply(x: u8, y: u8) -> u8 {
    if x == 0 || y == 0 {
        0
    } else {
        EXP[LOG[x as usize] as usize + LOG[y as usize] as usize]
    }
}

/// The logarithms of the coefficients of the Reed–Solomon generator
/// polynomial (x − 2^0)(x − 2^1)…(x − 2^(d−1)) of every degree d ≤ 30,
/// highest power first, the leading 1 left out. None of them is zero (the
/// build checks it).
const GENERATOR_LOGS: [[u8; MAX_ECC]; MAX_ECC + 1] = {
    let mut logs = [[0u8; MAX_ECC]; MAX_ECC + 1];
    let mut degree = 1;
    while degree <= MAX_ECC {
        let mut poly = [0u8; MAX_ECC];
        poly[degree - 1] = 1;
        let mut root: u8 = 1;
        let mut n = 0;
        while n < degree {
            let mut j = 0;
            while j < degree {
                poly[j] = gf_multiply(poly[j], root);
                if j + 1 < degree {
                    poly[j] ^= poly[j + 1];
                }
                j += 1;
            }
            root = gf_multiply(root, 2);
            n += 1;
        }
        let mut j = 0;
        while j < degree {
            assert!(poly[j] != 0, "a generator coefficient is zero");
            logs[degree][j] = LOG[poly[j] as usize];
            j += 1;
        }
        degree += 1;
    }
    logs
};

/// Error correction codewords per block at most (any level, any version).
const MAX_ECC: usize = 30;

/// The generator of each degree times every field element:
/// `[f][j]` = coefficient `j` × `f` (zero from the degree on). Made once per
/// degree used, 7.5 KiB each.
static GENERATOR_PRODUCTS: [OnceLock<Box<[[u8; MAX_ECC]; 256]>>; MAX_ECC + 1] =
    [const { OnceLock::new() }; MAX_ECC + 1];

fn generator_products(degree: usize) -> &'static [[u8; MAX_ECC]; 256] {
    GENERATOR_PRODUCTS[degree].get_or_init(|| {
        let mut table = Box::new([[0u8; MAX_ECC]; 256]);
        for (factor, row) in table.iter_mut().enumerate().skip(1) {
            let log = usize::from(LOG[factor]);
            for (product, &coefficient) in row.iter_mut().zip(&GENERATOR_LOGS[degree][..degree]) {
                *product = EXP[usize::from(coefficient) + log];
            }
        }
        table
    })
}

/// The remainder of `data`·x^d divided by the generator of degree d whose
/// `products` these are (d codewords, then zeros): a shift and one XOR of
/// a table row per data codeword.
fn reed_solomon_remainder(data: &[u8], products: &[[u8; MAX_ECC]; 256]) -> [u8; MAX_ECC] {
    let mut remainder = [0u8; MAX_ECC];
    for &b in data {
        let row = &products[usize::from(b ^ remainder[0])];
        let mut next = [0u8; MAX_ECC];
        next[..MAX_ECC - 1].copy_from_slice(&remainder[1..]);
        for (n, &p) in next.iter_mut().zip(row) {
            *n ^= p;
        }
        remainder = next;
    }
    remainder
}

/* ---- Lines of bits ---- */

/// One row or column of the symbol (see the module's "Layout").
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Line<const W: usize>([u64; W]);

impl<const W: usize> Line<W> {
    const EMPTY: Self = Self([0; W]);

    /// The line whose bit `j` is bit `j + k` of this one (`0 < k < 64`).
    #[inline(always)]
    fn shr(self, k: u32) -> Self {
        let mut out = [0; W];
        #[allow(clippy::needless_range_loop)]
        for i in 0..W {
            out[i] = self.0[i] >> k;
            if i + 1 < W {
                out[i] |= self.0[i + 1] << (64 - k);
            }
        }
        Self(out)
    }

    /// The line whose bit `j` is bit `j - k` of this one (`0 < k < 64`).
    #[inline(always)]
    fn shl(self, k: u32) -> Self {
        let mut out = [0; W];
        #[allow(clippy::needless_range_loop)]
        for i in 0..W {
            out[i] = self.0[i] << k;
            if i > 0 {
                out[i] |= self.0[i - 1] >> (64 - k);
            }
        }
        Self(out)
    }

    #[inline(always)]
    fn count(self) -> u32 {
        let mut n = 0;
        for i in 0..W {
            n += self.0[i].count_ones();
        }
        n
    }

    #[inline(always)]
    fn is_empty(self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    #[inline(always)]
    fn bit(&self, j: usize) -> bool {
        self.0[j / 64] >> (j % 64) & 1 == 1
    }

    #[inline(always)]
    fn set(&mut self, j: usize, on: bool) {
        let bit = 1 << (j % 64);
        if on {
            self.0[j / 64] |= bit;
        } else {
            self.0[j / 64] &= !bit;
        }
    }

    /// Bits `from..to` set.
    fn span(from: usize, to: usize) -> Self {
        let mut line = Self::EMPTY;
        for j in from..to {
            line.set(j, true);
        }
        line
    }

    /// How many bits are set from bit `from` on before the first clear one.
    #[inline(always)]
    fn ones_from(self, from: usize) -> usize {
        let (mut i, mut shift) = (from / 64, from % 64);
        let mut n = 0;
        while i < W {
            // Zeros shifted in at the top stop the count at the word's end.
            let ones = (!(self.0[i] >> shift)).trailing_zeros() as usize;
            n += ones;
            if ones < 64 - shift {
                break;
            }
            (i, shift) = (i + 1, 0);
        }
        n
    }

    /// The positions of the set bits, lowest first.
    fn ones(self) -> impl Iterator<Item = usize> {
        self.0.into_iter().enumerate().flat_map(|(i, mut word)| {
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let bit = word.trailing_zeros() as usize;
                    word &= word - 1;
                    i * 64 + bit
                })
            })
        })
    }
}

impl<const W: usize> BitAnd for Line<W> {
    type Output = Self;
    #[inline(always)]
    fn bitand(mut self, other: Self) -> Self {
        // Index loops: also quick in unoptimised (test) builds.
        #[allow(clippy::needless_range_loop)]
        for i in 0..W {
            self.0[i] &= other.0[i];
        }
        self
    }
}

impl<const W: usize> BitXor for Line<W> {
    type Output = Self;
    #[inline(always)]
    fn bitxor(mut self, other: Self) -> Self {
        // Index loops: also quick in unoptimised (test) builds.
        #[allow(clippy::needless_range_loop)]
        for i in 0..W {
            self.0[i] ^= other.0[i];
        }
        self
    }
}

impl<const W: usize> Not for Line<W> {
    type Output = Self;
    #[inline(always)]
    fn not(mut self) -> Self {
        #[allow(clippy::needless_range_loop)]
        for i in 0..W {
            self.0[i] = !self.0[i];
        }
        self
    }
}

/* ---- The symbol ---- */

/// Whether mask `mask` inverts module (`x`, `y`) (ISO/IEC 18004 table 10).
const fn mask_inverts(mask: usize, x: usize, y: usize) -> bool {
    match mask {
        0 => (x + y).is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => (x + y).is_multiple_of(3),
        4 => (x / 3 + y / 2).is_multiple_of(2),
        5 => x * y % 2 + x * y % 3 == 0,
        6 => (x * y % 2 + x * y % 3).is_multiple_of(2),
        _ => ((x + y) % 2 + x * y % 3).is_multiple_of(2),
    }
}

/// Every mask repeats every 12 modules across and down.
const MASK_PERIOD: usize = 12;

/// `MASK_LINES[mask][r]`: the modules that mask `mask` inverts in row `y`
/// when `y % 12 == r`, laid out as a line of three words (the first `W` are
/// used; bits outside the symbol are cleared by the data area).
const MASK_LINES: [[[u64; 3]; MASK_PERIOD]; 8] = {
    let mut lines = [[[0u64; 3]; MASK_PERIOD]; 8];
    let mut mask = 0;
    while mask < 8 {
        let mut r = 0;
        while r < MASK_PERIOD {
            let mut j = PAD;
            while j < 192 {
                if mask_inverts(mask, j - PAD, r) {
                    lines[mask][r][j / 64] |= 1 << (j % 64);
                }
                j += 1;
            }
            r += 1;
        }
        mask += 1;
    }
    lines
};

/// `COLUMN_MASK_LINES[mask][c]`: the same for column `x` when `x % 12 == c`
/// (masks 1, 2 and 4 are not symmetric under transposition).
const COLUMN_MASK_LINES: [[[u64; 3]; MASK_PERIOD]; 8] = {
    let mut lines = [[[0u64; 3]; MASK_PERIOD]; 8];
    let mut mask = 0;
    while mask < 8 {
        let mut c = 0;
        while c < MASK_PERIOD {
            let mut j = PAD;
            while j < 192 {
                if mask_inverts(mask, c, j - PAD) {
                    lines[mask][c][j / 64] |= 1 << (j % 64);
                }
                j += 1;
            }
            c += 1;
        }
        mask += 1;
    }
    lines
};

/// The 15 format bits (level M, `mask`) with their BCH code and XOR mask.
const fn format_bits(mask: usize) -> u32 {
    // Level M is 0b00.
    let data = mask as u32;
    let mut rem = data;
    let mut i = 0;
    while i < 10 {
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        i += 1;
    }
    (data << 10 | rem) ^ 0x5412
}

/// What every symbol of one version shares: where the function patterns
/// are, how they look, and where each codeword bit goes.
#[derive(Clone)]
struct Layout {
    /// Words per line.
    stride: usize,
    /// Per row, the modules masks apply to (all but the function modules).
    /// Symmetric, as the function patterns are: column `x` is row `x`, so
    /// it serves the columns too (the tests check every version).
    area: Vec<u64>,
    /// Per row, the dark function modules, except the format information
    /// and the dark module beside it, which depend on the mask.
    fixed: Vec<u64>,
    /// Where every codeword bit goes, in the standard's zigzag order, as a
    /// bit position in `fixed` (`64 * stride * y + x + PAD` for module
    /// (x, y)); modules left over (remainder bits) stay light.
    order: Vec<u32>,
}

/// The layouts of the versions BankID frames and Freja's links use, made
/// once; larger versions are laid out for each symbol.
static LAYOUTS: [OnceLock<Layout>; 11] = [const { OnceLock::new() }; 11];

fn layout(version: usize) -> Cow<'static, Layout> {
    let make = || match (17 + 4 * version + 2 * PAD).div_ceil(64) {
        1 => Layout::new::<1>(version),
        2 => Layout::new::<2>(version),
        _ => Layout::new::<3>(version),
    };
    match LAYOUTS.get(version) {
        Some(cell) => Cow::Borrowed(cell.get_or_init(make)),
        None => Cow::Owned(make()),
    }
}

impl Layout {
    /// Draws the function patterns of `version` as the reference does.
    fn new<const W: usize>(version: usize) -> Self {
        let size = 17 + 4 * version;
        let mut function = vec![Line::<W>::EMPTY; size];
        let mut fixed = vec![Line::<W>::EMPTY; size];
        let mut set = |x: usize, y: usize, dark: bool| {
            function[y].set(x + PAD, true);
            fixed[y].set(x + PAD, dark);
        };
        for i in 0..size {
            set(6, i, i % 2 == 0);
            set(i, 6, i % 2 == 0);
        }
        for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for y in cy.saturating_sub(4)..(cy + 5).min(size) {
                for x in cx.saturating_sub(4)..(cx + 5).min(size) {
                    let distance = x.abs_diff(cx).max(y.abs_diff(cy));
                    set(x, y, distance != 2 && distance != 4);
                }
            }
        }
        let positions = alignment_positions(version, size);
        let last = positions.len().saturating_sub(1);
        for (i, &cx) in positions.iter().enumerate() {
            for (j, &cy) in positions.iter().enumerate() {
                if (i, j) == (0, 0) || (i, j) == (0, last) || (i, j) == (last, 0) {
                    continue;
                }
                for y in cy - 2..=cy + 2 {
                    for x in cx - 2..=cx + 2 {
                        let distance = x.abs_diff(cx).max(y.abs_diff(cy));
                        set(x, y, distance != 1);
                    }
                }
            }
        }
        // The format areas and the dark module (drawn per mask).
        for (x, y) in format_positions(size).into_iter().flatten() {
            set(x, y, false);
        }
        set(8, size - 8, false);
        if version >= 7 {
            let mut rem = version as u32;
            for _ in 0..12 {
                rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
            }
            let bits = (version as u32) << 12 | rem;
            for i in 0..18 {
                let dark = bits >> i & 1 == 1;
                let (a, b) = (size - 11 + i % 3, i / 3);
                set(a, b, dark);
                set(b, a, dark);
            }
        }
        // Codeword bits go up and down two columns at a time from the right,
        // skipping the vertical timing pattern and every function module.
        let mut order = Vec::with_capacity(raw_data_modules(version));
        let mut right = size - 1;
        loop {
            if right == 6 {
                right = 5;
            }
            let upward = (right + 1) & 2 == 0;
            for vertical in 0..size {
                let y = if upward {
                    size - 1 - vertical
                } else {
                    vertical
                };
                for x in [right, right - 1] {
                    if !function[y].bit(x + PAD) {
                        order.push((64 * W * y + x + PAD) as u32);
                    }
                }
            }
            if right < 2 {
                break;
            }
            right -= 2;
        }
        let inside = Line::<W>::span(PAD, PAD + size);
        Self {
            stride: W,
            area: function.iter().flat_map(|&f| (inside & !f).0).collect(),
            fixed: fixed.iter().flat_map(|line| line.0).collect(),
            order,
        }
    }
}

/// Lines of `W` words from a flat slice.
fn lines<const W: usize>(words: &[u64]) -> Vec<Line<W>> {
    words
        .chunks_exact(W)
        .map(|c| Line(c.try_into().expect("W words")))
        .collect()
}

/// The columns of a symbol given by its rows: column `x` holds module
/// (x, y) at bit `y + PAD`. Transposes 64 × 64 blocks of the bit matrix
/// whose row `y + PAD` is the symbol's row `y`.
fn transpose<const W: usize>(rows: &[Line<W>]) -> Vec<Line<W>> {
    let size = rows.len();
    let mut columns = vec![Line::EMPTY; size];
    for down in 0..W {
        for across in 0..W {
            let mut block = [0u64; 64];
            for (k, word) in block.iter_mut().enumerate() {
                if let Some(row) = (64 * down + k).checked_sub(PAD).and_then(|y| rows.get(y)) {
                    *word = row.0[across];
                }
            }
            transpose64(&mut block);
            for (k, &word) in block.iter().enumerate() {
                if let Some(column) = (64 * across + k)
                    .checked_sub(PAD)
                    .and_then(|x| columns.get_mut(x))
                {
                    column.0[down] = word;
                }
            }
        }
    }
    columns
}

/// Transposes a 64 × 64 bit matrix in place (bit `j` of word `i` becomes
/// bit `i` of word `j`), swapping ever smaller blocks.
fn transpose64(m: &mut [u64; 64]) {
    let mut width = 32;
    let mut low: u64 = 0x0000_0000_FFFF_FFFF;
    while width != 0 {
        let mut k = 0;
        while k < 64 {
            let t = ((m[k] >> width) ^ m[k + width]) & low;
            m[k] ^= t << width;
            m[k + width] ^= t;
            k = (k + width + 1) & !width;
        }
        width >>= 1;
        low ^= low << width;
    }
}

/// Centres of the alignment patterns of `version` along either axis.
fn alignment_positions(version: usize, size: usize) -> Vec<usize> {
    if version == 1 {
        return Vec::new();
    }
    let count = version / 7 + 2;
    let step = if version == 32 {
        26
    } else {
        (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
    };
    let mut positions: Vec<usize> = (0..count - 1).map(|i| size - 7 - i * step).collect();
    positions.push(6);
    positions.reverse();
    positions
}

/// Where the two copies of the format information go, bit 0 first.
fn format_positions(size: usize) -> [[(usize, usize); 15]; 2] {
    let first = std::array::from_fn(|i| match i {
        0..=5 => (8, i),
        6 => (8, 7),
        7 => (8, 8),
        8 => (7, 8),
        _ => (14 - i, 8),
    });
    let second = std::array::from_fn(|i| {
        if i < 8 {
            (size - 1 - i, 8)
        } else {
            (8, size - 15 + i)
        }
    });
    [first, second]
}

/// A symbol before masking, as rows and as columns.
struct Unmasked<const W: usize> {
    size: usize,
    area: Vec<Line<W>>,
    rows: Vec<Line<W>>,
    columns: Vec<Line<W>>,
    /// The format information's modules (x, y), bit 0 to 14 of each copy,
    /// then the dark module beside it.
    format: [(usize, usize); 31],
}

impl<const W: usize> Unmasked<W> {
    /// `codewords` placed into `layout`.
    fn new(layout: &Layout, codewords: &[u8]) -> Self {
        debug_assert_eq!(layout.stride, W);
        let mut words = layout.fixed.clone();
        for (&byte, bits) in codewords.iter().zip(layout.order.chunks(8)) {
            for (i, &at) in bits.iter().enumerate() {
                let bit = u64::from(byte >> (7 - i) & 1);
                words[at as usize / 64] |= bit << (at % 64);
            }
        }
        let rows = lines::<W>(&words);
        let size = rows.len();
        let [first, second] = format_positions(size);
        let format = std::array::from_fn(|i| match i {
            0..15 => first[i],
            15..30 => second[i - 15],
            _ => (8, size - 8),
        });
        Self {
            size,
            area: lines(&layout.area),
            columns: transpose(&rows),
            rows,
            format,
        }
    }

    /// The rows of the symbol under `mask` into `rows`, and its columns
    /// into `columns` when given.
    fn masked(&self, mask: usize, rows: &mut [Line<W>], columns: Option<&mut [Line<W>]>) {
        let pattern = |words: &[u64; 3]| Line::<W>(std::array::from_fn(|w| words[w]));
        let lines = self
            .rows
            .iter()
            .zip(&self.area)
            .zip(MASK_LINES[mask].iter().cycle());
        for (row, ((&unmasked, &area), pattern_words)) in rows.iter_mut().zip(lines) {
            *row = unmasked ^ (pattern(pattern_words) & area);
        }
        // Both copies of the format information, and the dark module.
        let dark = (format_bits(mask) << 15 | format_bits(mask)) | 1 << 30;
        match columns {
            Some(columns) => {
                let lines = self.columns.iter().zip(&self.area);
                let patterns = COLUMN_MASK_LINES[mask].iter().cycle();
                for (column, ((&unmasked, &area), pattern_words)) in
                    columns.iter_mut().zip(lines.zip(patterns))
                {
                    *column = unmasked ^ (pattern(pattern_words) & area);
                }
                for (i, &(x, y)) in self.format.iter().enumerate() {
                    if dark >> i & 1 == 1 {
                        rows[y].set(x + PAD, true);
                        columns[x].set(y + PAD, true);
                    }
                }
            }
            None => {
                for (i, &(x, y)) in self.format.iter().enumerate() {
                    if dark >> i & 1 == 1 {
                        rows[y].set(x + PAD, true);
                    }
                }
            }
        }
    }

    /// The mask of lowest penalty (the first of equal ones, as the
    /// reference) and the rows under it.
    fn finish(&self) -> (usize, Vec<Line<W>>) {
        let inside = Line::<W>::span(PAD, PAD + self.size);
        let mut rows = vec![Line::EMPTY; self.size];
        let mut columns = vec![Line::EMPTY; self.size];
        let mut best = (u32::MAX, 0);
        for mask in 0..8 {
            self.masked(mask, &mut rows, Some(&mut columns));
            let score = penalty(&rows, &columns, inside, best.0);
            if score < best.0 {
                best = (score, mask);
            }
        }
        let mask = best.1;
        self.masked(mask, &mut rows, None);
        (mask, rows)
    }
}

/// The modules of a finished symbol from its rows.
fn modules<const W: usize>(rows: &[Line<W>]) -> Modules {
    Modules {
        size: rows.len(),
        stride: W,
        rows: rows.iter().flat_map(|line| line.0).collect(),
    }
}

/* ---- Penalty (ISO/IEC 18004 7.8.3, as the reference scores it) ---- */

const PENALTY_N1: u32 = 3;
const PENALTY_N2: u32 = 3;
const PENALTY_N3: u32 = 40;
const PENALTY_N4: u32 = 10;

/// The penalty of a masked symbol given by its rows and its columns
/// (`inside`: the bits of a line that are modules). Stops early, with some
/// score above `enough`, once the score passes `enough`.
fn penalty<const W: usize>(
    rows: &[Line<W>],
    columns: &[Line<W>],
    inside: Line<W>,
    enough: u32,
) -> u32 {
    let pairs = inside & inside.shr(1);
    let mut score = 0;
    let mut dark = 0;
    let mut above: Option<(Line<W>, Line<W>)> = None;
    for &row in rows {
        dark += row.count() as usize;
        let (points, alike) = line_penalty(row, pairs);
        score += points;
        // N2: 3 points per 2×2 block of one colour (blocks may overlap):
        // two alike modules of the row above, each equal to the one below.
        if let Some((above, above_alike)) = above {
            let equal = inside & !(above ^ row);
            score += (above_alike & equal & equal.shr(1)).count() * PENALTY_N2;
        }
        above = Some((row, alike));
    }
    // N4, the dark share: 10 points per whole 5 % away from 50 % (the size
    // is odd, so the share is never exactly half).
    let total = rows.len() * rows.len();
    let steps = (dark * 20).abs_diff(total * 10).div_ceil(total) - 1;
    score += steps as u32 * PENALTY_N4;
    for &column in columns {
        if score > enough {
            break;
        }
        score += line_penalty(column, pairs).0;
    }
    score
}

/// Points of one line under N1 (runs of five or more alike: 3, plus 1 per
/// module beyond five) and N3 (40 per finder-like pattern), and the bits `j`
/// whose modules `j` and `j + 1` are alike (`pairs`: where both are inside).
#[inline(always)]
fn line_penalty<const W: usize>(dark: Line<W>, pairs: Line<W>) -> (u32, Line<W>) {
    // N1: a run of length L ≥ 5 has L − 4 windows of five alike, the first
    // of which starts the run; it scores 3 + (L − 5) = windows + 2. Only
    // modules count, not the border.
    let alike = pairs & !(dark ^ dark.shr(1));
    let alike2 = alike & alike.shr(1);
    let five = alike2 & alike2.shr(2);
    let runs = five & !five.shl(1);
    let mut points = five.count() + (PENALTY_N1 - 1) * runs.count();

    // N3, with the light border around the symbol (the lines' padding and
    // beyond): light, dark, light, three dark, light, dark, light at bit j,
    // with three more light before it or three more after it (each counts;
    // both may).
    let light = !dark;
    let dark2 = dark & dark.shr(1);
    let dark3 = dark2 & dark.shr(2);
    let core = light
        & dark.shr(1)
        & light.shr(2)
        & dark3.shr(3)
        & light.shr(6)
        & dark.shr(7)
        & light.shr(8);
    let light2 = light & light.shr(1);
    if !core.is_empty() {
        let light3 = light2 & light.shr(2);
        let finders = (core & light3.shl(3)).count() + (core & light3.shr(9)).count();
        points += finders * PENALTY_N3;
    }
    // Wider units: the middle dark run is 3·u ≥ 6 long, after a light run
    // of u ≥ 2. Look at the dark runs of six or more after two light.
    let long_runs = dark3 & dark3.shr(3) & light2.shl(2);
    if !long_runs.is_empty() {
        points += wide_finders(dark, long_runs) * PENALTY_N3;
    }
    (points, alike)
}

/// Finder-like patterns of a unit of two or more modules whose middle run
/// starts at a bit of `starts`, checked module by module.
#[inline(never)]
fn wide_finders<const W: usize>(dark: Line<W>, starts: Line<W>) -> u32 {
    let bits = 64 * W as isize;
    let is_dark = |j: isize| (0..bits).contains(&j) && dark.bit(j as usize);
    // Modules of one colour from `from` on in direction `step`, at most
    // `limit`; beyond the line everything is light.
    let run = |from: isize, step: isize, want_dark: bool, limit: isize| {
        let mut n = 0;
        while n < limit && is_dark(from + n * step) == want_dark {
            n += 1;
        }
        n
    };
    let mut count = 0;
    for start in starts.ones() {
        let length = dark.ones_from(start) as isize;
        if length % 3 != 0 {
            continue;
        }
        let start = start as isize;
        let unit = length / 3;
        let end = start + length;
        let exact = |from: isize, step: isize, want_dark: bool| {
            run(from, step, want_dark, unit + 1) == unit
        };
        if !(exact(start - 1, -1, false)
            && exact(start - 1 - unit, -1, true)
            && exact(end, 1, false)
            && exact(end + unit, 1, true))
        {
            continue;
        }
        let before = run(start - 1 - 2 * unit, -1, false, 4 * unit);
        let after = run(end + 2 * unit, 1, false, 4 * unit);
        count += u32::from(before >= 4 * unit && after >= unit);
        count += u32::from(after >= 4 * unit && before >= unit);
    }
    count
}

/// The penalties of the eight masks of `text`'s symbol and the mask chosen
/// (for the tests).
#[cfg(test)]
pub(super) fn penalties(text: &str) -> ([u32; 8], usize) {
    fn all<const W: usize>(layout: &Layout, codewords: &[u8]) -> ([u32; 8], usize) {
        let symbol = Unmasked::<W>::new(layout, codewords);
        let size = symbol.size;
        let inside = Line::<W>::span(PAD, PAD + size);
        let mut rows = vec![Line::EMPTY; size];
        let mut columns = vec![Line::EMPTY; size];
        let scores = std::array::from_fn(|mask| {
            symbol.masked(mask, &mut rows, Some(&mut columns));
            // The columns are the rows transposed.
            for (x, column) in columns.iter().enumerate() {
                for (y, row) in rows.iter().enumerate() {
                    assert_eq!(
                        column.bit(y + PAD),
                        row.bit(x + PAD),
                        "mask {mask} ({x}, {y})"
                    );
                }
            }
            penalty(&rows, &columns, inside, u32::MAX)
        });
        (scores, symbol.finish().0)
    }
    let (version, codewords) = codewords(text.as_bytes()).expect("the text fits");
    let layout = layout(version);
    match layout.stride {
        1 => all::<1>(&layout, &codewords),
        2 => all::<2>(&layout, &codewords),
        _ => all::<3>(&layout, &codewords),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use qrcodegen::{QrCode, QrCodeEcc, QrSegment, Version};

    /// A symbol's mask and modules (row-major, `true` for dark).
    #[derive(Debug, PartialEq, Eq)]
    struct Symbol {
        mask: usize,
        size: usize,
        dark: Vec<bool>,
    }

    /// What the reference encoder makes of `text`: level M never raised,
    /// the smallest version, the mask it chooses by its own penalty.
    fn reference(text: &str) -> Symbol {
        let code = QrCode::encode_segments_advanced(
            &QrSegment::make_segments(text),
            QrCodeEcc::Medium,
            Version::MIN,
            Version::MAX,
            None,
            false,
        )
        .expect("the text fits");
        let size = code.size();
        let code = &code;
        Symbol {
            mask: usize::from(code.mask().value()),
            size: size as usize,
            dark: (0..size)
                .flat_map(|y| (0..size).map(move |x| code.get_module(x, y)))
                .collect(),
        }
    }

    fn ours(text: &str) -> Symbol {
        let modules = encode(text).expect("the text fits");
        let (size, stride) = (modules.size, modules.stride);
        let dark: Vec<bool> = (0..size)
            .flat_map(|y| (0..size).map(move |x| (x, y)))
            .map(|(x, y)| {
                let bit = x + PAD;
                modules.rows[y * stride + bit / 64] >> (bit % 64) & 1 == 1
            })
            .collect();
        // The mask is the one whose format bits the symbol carries.
        let [first, _] = format_positions(size);
        let bits = first
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| u32::from(dark[y * size + x]) << i)
            .sum::<u32>();
        let mask = (0..8)
            .find(|&m| format_bits(m) == bits)
            .expect("format bits of level M");
        Symbol { mask, size, dark }
    }

    /// Fails naming the mask and the first module that differ.
    fn assert_same(text: &str) {
        let (expected, actual) = (reference(text), ours(text));
        assert_eq!(actual.size, expected.size, "size of {text:?}");
        let first_difference = (0..expected.dark.len())
            .find(|&i| actual.dark[i] != expected.dark[i])
            .map(|i| (i % expected.size, i / expected.size));
        assert_eq!(
            (actual.mask, first_difference),
            (expected.mask, None),
            "mask and first differing module (x, y) of {text:?} ({} modules)",
            expected.size
        );
    }

    #[test]
    fn the_tested_texts_encode_as_the_reference_does() {
        for text in super::super::tests::sample_texts() {
            assert_same(&text);
        }
        assert_same("");
    }

    /// Texts that fill each version exactly in each mode (and one more
    /// character, which takes the next version), every version 1 to 40.
    #[test]
    fn every_version_and_mode_encodes_as_the_reference_does() {
        for version in 1..=40 {
            let bits = data_codewords(version) * 8;
            for (mode, alphabet) in [
                (Mode::Numeric, &b"0123456789"[..]),
                (Mode::Alphanumeric, &ALPHANUMERIC[..]),
                (Mode::Byte, &b"bankid.0123456789abcdef-"[..]),
            ] {
                let header = 4 + mode.count_bits(version) as usize;
                let len = (0..)
                    .take_while(|&n| header + mode.data_bits(n) <= bits)
                    .last()
                    .unwrap();
                let text: String = (0..len)
                    .map(|i| char::from(alphabet[(i * 7 + version) % alphabet.len()]))
                    .collect();
                assert_eq!(Mode::of(text.as_bytes()), mode);
                assert_eq!(codewords(text.as_bytes()).unwrap().0, version, "{mode:?}");
                assert_same(&text);
                // Checks that the columns are the rows transposed, under
                // every mask.
                penalties(&text);
                if version < 40 {
                    let longer = format!("{text}{}", char::from(alphabet[0]));
                    assert_eq!(codewords(longer.as_bytes()).unwrap().0, version + 1);
                }
            }
        }
    }

    #[test]
    fn error_correction_matches_a_known_symbol() {
        // ISO/IEC 18004 annex I: "01234567" at level M, version 1.
        let (version, all) = codewords(b"01234567").unwrap();
        assert_eq!(version, 1);
        assert_eq!(
            all,
            [
                0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11,
                0xEC, 0x11, 0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55,
            ]
        );
    }

    #[test]
    fn transposing_moves_every_bit() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let original: [u64; 64] = std::array::from_fn(|_| random());
        let mut m = original;
        transpose64(&mut m);
        for (i, j) in (0..64).flat_map(|i| (0..64).map(move |j| (i, j))) {
            assert_eq!(m[j] >> i & 1, original[i] >> j & 1, "({i}, {j})");
        }
        // Lines of three words, 150 modules.
        let rows: Vec<Line<3>> = (0..150)
            .map(|_| Line([random(), random(), random()]) & Line::span(PAD, PAD + 150))
            .collect();
        let columns = transpose(&rows);
        for (x, y) in (0..150).flat_map(|x| (0..150).map(move |y| (x, y))) {
            assert_eq!(columns[x].bit(y + PAD), rows[y].bit(x + PAD), "({x}, {y})");
        }
        assert!(
            columns
                .iter()
                .all(|c| (*c & !Line::span(PAD, PAD + 150)).is_empty())
        );
    }

    #[test]
    fn texts_longer_than_version_40_are_refused() {
        assert!(encode(&"9".repeat(5596)).is_some());
        assert!(encode(&"9".repeat(5597)).is_none());
        assert!(encode(&"A".repeat(3392)).is_none());
        assert!(encode(&"a".repeat(2332)).is_none());
        assert!(encode(&"a".repeat(2331)).is_some());
    }

    /// A BankID frame as `BankIdQr` makes it: `bankid.<token>.<t>.<hmac>`.
    fn bankid_frame() -> impl Strategy<Value = String> {
        (
            any::<u128>(),
            "[a-z0-9-]{1,40}",
            prop_oneof![4 => 0u64..600, 1 => any::<u64>()],
        )
            .prop_map(|(token, secret, t)| {
                let hex = format!("{token:032x}");
                let token = format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                );
                let qr = crate::qr::BankIdQr::new(
                    token,
                    crate::QrStartSecret::new(secret),
                    std::time::Instant::now(),
                );
                qr.payload_at(t)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// The property the encoder's speed rests on: for random BankID
        /// frames, the chosen mask and every module equal the reference's.
        #[test]
        fn bankid_frames_encode_as_the_reference_does(frame in bankid_frame()) {
            let (expected, actual) = (reference(&frame), ours(&frame));
            prop_assert_eq!(actual, expected, "{}", frame);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any text: digits, the alphanumeric set, or anything (Unicode).
        #[test]
        fn any_text_encodes_as_the_reference_does(
            text in prop_oneof![
                "[0-9]{0,500}",
                "[0-9A-Z $%*+./:-]{0,400}",
                ".{0,300}",
                "[ab]{0,200}",
            ]
        ) {
            let (expected, actual) = (reference(&text), ours(&text));
            prop_assert_eq!(actual, expected, "{:?}", text);
        }
    }
}
