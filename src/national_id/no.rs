//! Norway: fødselsnummer, D-nummer, H-nummer and synthetic test numbers.

use super::{Date, NationalIdError, digits_with_separator, personal_id_impls, two};

/// Which kind of Norwegian identity number.
///
/// ```
/// use identisure::national_id::no::{Fodselsnummer, FodselsnummerKind};
///
/// let vipps_test_user = Fodselsnummer::parse("55074308332").unwrap();
/// assert_eq!(vipps_test_user.kind(), FodselsnummerKind::DNumber);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FodselsnummerKind {
    /// An ordinary fødselsnummer.
    Ordinary,
    /// A D-nummer (temporary residents): 4 added to the first digit.
    DNumber,
    /// An H-nummer (help number in health care): 4 added to the third digit.
    HNumber,
}

/// A Norwegian fødselsnummer (11 digits `DDMMYYIIIKK`): birth date,
/// individual number `III` (which with `YY` gives the century), and two
/// mod-11 check digits.
///
/// Also accepted: D-numbers (day + 40), H-numbers (month + 40) and the
/// synthetic test numbers of the Norwegian Tax Administration's test data
/// (month + 80, also combined with day + 40). One space or dash after the
/// date is tolerated. Normalised to the 11 digits; `Debug` and `Display`
/// redact it.
///
/// ```
/// use identisure::national_id::{Date, no::Fodselsnummer};
///
/// let f = Fodselsnummer::parse("201239 31743").unwrap();
/// assert_eq!(f.expose(), "20123931743");
/// assert_eq!(f.birth_date(), Date::new(1939, 12, 20).unwrap());
/// assert_eq!(format!("{f:?}"), "Fodselsnummer(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fodselsnummer {
    normalised: String,
    birth_date: Date,
    kind: FodselsnummerKind,
    synthetic: bool,
}

personal_id_impls!(Fodselsnummer);

const K1_WEIGHTS: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2_WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The mod-11 check digit for `digits` with `weights`, or `None` when the
/// remainder makes it 10 (such numbers are never issued).
fn mod11(digits: &[u8], weights: &[u32]) -> Option<u8> {
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(&d, &w)| u32::from(d) * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k as u8),
    }
}

/// The birth year from the two-digit year and the individual number.
fn century_year(yy: u16, individual: u16) -> Option<u16> {
    match (individual, yy) {
        (0..=499, _) => Some(1900 + yy),
        (500..=749, 54..=99) => Some(1800 + yy),
        (500..=999, 0..=39) => Some(2000 + yy),
        (900..=999, 40..=99) => Some(1900 + yy),
        _ => None,
    }
}

impl Fodselsnummer {
    /// Parses a number.
    ///
    /// ```
    /// use identisure::national_id::{NationalIdError, no::Fodselsnummer};
    ///
    /// assert!(Fodselsnummer::parse("04081138481").is_ok());
    /// assert_eq!(Fodselsnummer::parse("04081138482"), Err(NationalIdError::CheckDigit));
    /// assert_eq!(Fodselsnummer::parse("0408113848"),
    ///     Err(NationalIdError::Length { expected: "11 digits", found: 10 }));
    /// ```
    pub fn parse(input: &str) -> Result<Self, NationalIdError> {
        let (digits, separator) = digits_with_separator(input, &[' ', '-'])?;
        if digits.len() != 11 {
            return Err(NationalIdError::Length {
                expected: "11 digits",
                found: digits.len(),
            });
        }
        if let Some((_, at)) = separator
            && at != 6
        {
            return Err(NationalIdError::Format(
                "a separator may only follow the six date digits",
            ));
        }
        let raw_day = two(&digits, 0);
        let raw_month = two(&digits, 2);
        let (day, d_number) = if digits[0] >= 4 {
            (raw_day - 40, true)
        } else {
            (raw_day, false)
        };
        let (month, h_number, synthetic) = match raw_month {
            81..=92 => (raw_month - 80, false, true),
            41..=52 => (raw_month - 40, true, false),
            m => (m, false, false),
        };
        if d_number && h_number {
            return Err(NationalIdError::Format(
                "a number cannot be both a D-number and an H-number",
            ));
        }
        let yy = u16::from(two(&digits, 4));
        let individual = u16::from(digits[6]) * 100 + u16::from(two(&digits, 7));
        let year = century_year(yy, individual).ok_or(NationalIdError::Format(
            "the individual number does not fit the birth year",
        ))?;
        let birth_date = Date::new(year, month, day).ok_or(NationalIdError::Date)?;
        let k1 = mod11(&digits[..9], &K1_WEIGHTS).ok_or(NationalIdError::CheckDigit)?;
        if k1 != digits[9] {
            return Err(NationalIdError::CheckDigit);
        }
        let k2 = mod11(&digits[..10], &K2_WEIGHTS).ok_or(NationalIdError::CheckDigit)?;
        if k2 != digits[10] {
            return Err(NationalIdError::CheckDigit);
        }
        let kind = if d_number {
            FodselsnummerKind::DNumber
        } else if h_number {
            FodselsnummerKind::HNumber
        } else {
            FodselsnummerKind::Ordinary
        };
        Ok(Self {
            normalised: digits.iter().map(|d| char::from(b'0' + d)).collect(),
            birth_date,
            kind,
            synthetic,
        })
    }

    /// The 11 digits. Personal data: handle with care.
    ///
    /// ```
    /// let f = identisure::national_id::no::Fodselsnummer::parse("20123931743").unwrap();
    /// assert_eq!(f.expose(), "20123931743");
    /// ```
    pub fn expose(&self) -> &str {
        &self.normalised
    }

    /// The birth date (D-, H- and synthetic offsets taken off).
    ///
    /// ```
    /// let f = identisure::national_id::no::Fodselsnummer::parse("55074308332").unwrap();
    /// assert_eq!(f.birth_date().to_string(), "1943-07-15");
    /// ```
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// Ordinary, D- or H-number.
    ///
    /// ```
    /// use identisure::national_id::no::{Fodselsnummer, FodselsnummerKind};
    /// let f = Fodselsnummer::parse("20123931743").unwrap();
    /// assert_eq!(f.kind(), FodselsnummerKind::Ordinary);
    /// ```
    pub fn kind(&self) -> FodselsnummerKind {
        self.kind
    }

    /// Whether this is a synthetic test number (month + 80); such numbers
    /// never belong to a real person.
    ///
    /// ```
    /// let f = identisure::national_id::no::Fodselsnummer::parse("20123931743").unwrap();
    /// assert!(!f.is_synthetic());
    /// ```
    pub fn is_synthetic(&self) -> bool {
        self.synthetic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Independent check-digit computation (weights written out again).
    fn check(digits: &[u8], weights: &[u32]) -> Option<u8> {
        let s: u32 = digits
            .iter()
            .zip(weights)
            .map(|(&d, &w)| u32::from(d) * w)
            .sum();
        let r = (11 - s % 11) % 11;
        (r != 10).then_some(r as u8)
    }

    /// A valid 11-digit number: (digits, date, day offset, month offset).
    fn valid() -> impl Strategy<Value = (Vec<u8>, Date, u8, u8)> {
        (
            1854u16..=2039,
            1u8..=12,
            1u8..=31,
            0u16..1000,
            prop::sample::select(vec![(0u8, 0u8), (40, 0), (0, 40), (0, 80), (40, 80)]),
        )
            .prop_filter_map("valid", |(y, m, d, ind, (doff, moff))| {
                let date = Date::new(y, m, d)?;
                let yy = y % 100;
                let ok = match y {
                    1854..=1899 => (500..=749).contains(&ind),
                    1900..=1939 => ind <= 499,
                    1940..=1999 => ind <= 499 || ind >= 900,
                    _ => ind >= 500,
                };
                if !ok {
                    return None;
                }
                let dd = d + doff;
                let mm = m + moff;
                let mut v = vec![
                    dd / 10,
                    dd % 10,
                    mm / 10,
                    mm % 10,
                    (yy / 10) as u8,
                    (yy % 10) as u8,
                    (ind / 100) as u8,
                    (ind / 10 % 10) as u8,
                    (ind % 10) as u8,
                ];
                v.push(check(&v, &[3, 7, 6, 1, 8, 9, 4, 5, 2])?);
                v.push(check(&v, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2])?);
                Some((v, date, doff, moff))
            })
    }

    fn s(digits: &[u8]) -> String {
        digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    #[test]
    fn provider_test_identities() {
        // Staging identities from the provider's docs.
        for n in ["20123931743", "04081138481", "55074308332"] {
            assert!(Fodselsnummer::parse(n).is_ok(), "{n}");
        }
        assert_eq!(
            Fodselsnummer::parse("04081138481").unwrap().birth_date(),
            Date::new(1911, 8, 4).unwrap()
        );
    }

    #[test]
    fn kinds_and_errors() {
        let d = Fodselsnummer::parse("55074308332").unwrap();
        assert_eq!(d.kind(), FodselsnummerKind::DNumber);
        assert!(!d.is_synthetic());
        assert!(matches!(
            Fodselsnummer::parse("2012393174a"),
            Err(NationalIdError::Format(_))
        ));
        assert!(matches!(
            Fodselsnummer::parse("20123-931743"),
            Err(NationalIdError::Format(_))
        ));
        // Day 32.
        let mut v = vec![3, 2, 1, 2, 3, 9, 3, 1, 7];
        let k1 = check(&v, &K1_WEIGHTS).unwrap();
        v.push(k1);
        if let Some(k2) = check(&v, &K2_WEIGHTS) {
            v.push(k2);
            assert_eq!(Fodselsnummer::parse(&s(&v)), Err(NationalIdError::Date));
        }
    }

    proptest! {
        #[test]
        fn valid_numbers_are_accepted((digits, date, doff, moff) in valid()) {
            let f = Fodselsnummer::parse(&s(&digits)).unwrap();
            prop_assert_eq!(f.birth_date(), date);
            prop_assert_eq!(f.expose(), s(&digits));
            prop_assert_eq!(f.is_synthetic(), moff == 80);
            let kind = match (doff, moff) {
                (40, _) => FodselsnummerKind::DNumber,
                (_, 40) => FodselsnummerKind::HNumber,
                _ => FodselsnummerKind::Ordinary,
            };
            prop_assert_eq!(f.kind(), kind);
            let shown = format!("{f:?}{f}");
            prop_assert!(!shown.contains(&s(&digits)[..6]));
        }

        /// Both check digits use weights that are non-zero modulo the prime
        /// 11, so any single-digit change moves K1's sum (or changes K1 or K2
        /// itself): no single-digit change survives.
        #[test]
        fn any_single_digit_change_is_rejected((digits, ..) in valid(), pos in 0usize..11, delta in 1u8..10) {
            let mut changed = digits.clone();
            changed[pos] = (changed[pos] + delta) % 10;
            prop_assert!(Fodselsnummer::parse(&s(&changed)).is_err());
        }
    }
}
