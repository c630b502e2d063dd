//! Finland: henkilötunnus (HETU).

use super::{Date, NationalIdError, personal_id_impls};

/// The check characters, indexed by the remainder modulo 31.
const CHECK_CHARS: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// A Finnish personal identity code, `DDMMYYCZZZQ`: birth date, century sign
/// `C`, individual number `ZZZ` (002–899, 900–999 for temporary codes) and
/// check character `Q` = `DDMMYYZZZ` modulo 31 in `0123456789ABCDEFHJKLMNPRSTUVWXY`.
///
/// Century signs: `+` 1800s; `-`, `Y`, `X`, `W`, `V`, `U` 1900s; `A`, `B`,
/// `C`, `D`, `E`, `F` 2000s (the letters other than `-` and `A` exist since
/// 2023). Letters are accepted in either case and normalised to upper case;
/// `Debug` and `Display` redact the code.
///
/// ```
/// use identisure::national_id::{Date, fi::Hetu};
///
/// let hetu = Hetu::parse("131052-308t").unwrap();
/// assert_eq!(hetu.expose(), "131052-308T");
/// assert_eq!(hetu.birth_date(), Date::new(1952, 10, 13).unwrap());
/// assert_eq!(format!("{hetu:?}"), "Hetu(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Hetu {
    normalised: String,
    birth_date: Date,
}

personal_id_impls!(Hetu);

fn century(sign: u8) -> Option<u16> {
    match sign {
        b'+' => Some(1800),
        b'-' | b'Y' | b'X' | b'W' | b'V' | b'U' => Some(1900),
        b'A' | b'B' | b'C' | b'D' | b'E' | b'F' => Some(2000),
        _ => None,
    }
}

impl Hetu {
    /// Parses a code.
    ///
    /// ```
    /// use identisure::national_id::{NationalIdError, fi::Hetu};
    ///
    /// assert_eq!(Hetu::parse("010101A002S").unwrap().birth_date().year(), 2001);
    /// assert!(Hetu::parse("010101A900R").unwrap().is_temporary());
    /// assert_eq!(Hetu::parse("131052-308U"), Err(NationalIdError::CheckDigit));
    /// assert_eq!(Hetu::parse("131352-308T"), Err(NationalIdError::Date));
    /// ```
    pub fn parse(input: &str) -> Result<Self, NationalIdError> {
        let upper = input.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        if upper.chars().count() != 11 {
            return Err(NationalIdError::Length {
                expected: "11 characters (DDMMYYCZZZQ)",
                found: upper.chars().count(),
            });
        }
        let digit_positions = [0, 1, 2, 3, 4, 5, 7, 8, 9];
        if !digit_positions.iter().all(|&i| bytes[i].is_ascii_digit()) {
            return Err(NationalIdError::Format(
                "positions 1-6 and 8-10 must be digits",
            ));
        }
        let base = century(bytes[6]).ok_or(NationalIdError::Format(
            "the seventh character must be a century sign (+, -, Y, X, W, V, U, A-F)",
        ))?;
        let num = |i: usize| u16::from(bytes[i] - b'0');
        let day = num(0) * 10 + num(1);
        let month = num(2) * 10 + num(3);
        let year = base + num(4) * 10 + num(5);
        let individual = num(7) * 100 + num(8) * 10 + num(9);
        let birth_date = Date::new(year, month as u8, day as u8).ok_or(NationalIdError::Date)?;
        if individual < 2 {
            return Err(NationalIdError::Format(
                "individual numbers 000 and 001 are not used",
            ));
        }
        let n: u32 = digit_positions
            .iter()
            .fold(0, |acc, &i| acc * 10 + u32::from(bytes[i] - b'0'));
        if CHECK_CHARS[(n % 31) as usize] != bytes[10] {
            return Err(NationalIdError::CheckDigit);
        }
        Ok(Self {
            normalised: upper,
            birth_date,
        })
    }

    /// The code in upper case. Personal data: handle with care.
    ///
    /// ```
    /// let hetu = identisure::national_id::fi::Hetu::parse("131052-308T").unwrap();
    /// assert_eq!(hetu.expose(), "131052-308T");
    /// ```
    pub fn expose(&self) -> &str {
        &self.normalised
    }

    /// The birth date.
    ///
    /// ```
    /// let hetu = identisure::national_id::fi::Hetu::parse("131052-308T").unwrap();
    /// assert_eq!(hetu.birth_date().year(), 1952);
    /// ```
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// Whether this is a temporary code (individual number 900–999).
    ///
    /// ```
    /// let hetu = identisure::national_id::fi::Hetu::parse("131052-308T").unwrap();
    /// assert!(!hetu.is_temporary());
    /// ```
    pub fn is_temporary(&self) -> bool {
        self.normalised.as_bytes()[7] == b'9'
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SIGNS: [(char, u16); 13] = [
        ('+', 1800),
        ('-', 1900),
        ('Y', 1900),
        ('X', 1900),
        ('W', 1900),
        ('V', 1900),
        ('U', 1900),
        ('A', 2000),
        ('B', 2000),
        ('C', 2000),
        ('D', 2000),
        ('E', 2000),
        ('F', 2000),
    ];

    /// (code, birth date, index of the sign in SIGNS).
    fn valid() -> impl Strategy<Value = (String, Date, usize)> {
        (0usize..13, 0u16..100, 1u8..=12, 1u8..=31, 2u16..1000).prop_filter_map(
            "real date",
            |(sign, yy, m, d, ind)| {
                let date = Date::new(SIGNS[sign].1 + yy, m, d)?;
                let n = u32::from(d) * 10_000_000
                    + u32::from(m) * 100_000
                    + u32::from(yy) * 1_000
                    + u32::from(ind);
                let check = "0123456789ABCDEFHJKLMNPRSTUVWXY".as_bytes()[(n % 31) as usize] as char;
                let code = format!("{d:02}{m:02}{yy:02}{}{ind:03}{check}", SIGNS[sign].0);
                Some((code, date, sign))
            },
        )
    }

    #[test]
    fn official_example_and_errors() {
        assert_eq!(
            Hetu::parse("131052-308T").unwrap().birth_date(),
            Date::new(1952, 10, 13).unwrap()
        );
        assert!(matches!(
            Hetu::parse("131052*308T"),
            Err(NationalIdError::Format(_))
        ));
        assert!(matches!(
            Hetu::parse("13105A-308T"),
            Err(NationalIdError::Format(_))
        ));
        assert!(matches!(
            Hetu::parse("131052-308"),
            Err(NationalIdError::Length { .. })
        ));
        assert!(matches!(
            Hetu::parse("131052-001T"),
            Err(NationalIdError::Format(_))
        ));
        // Non-ASCII input never panics.
        assert!(Hetu::parse("131052-308Å").is_err());
        assert!(Hetu::parse("ÅÅÅÅÅÅÅÅÅÅÅ").is_err());
    }

    proptest! {
        #[test]
        fn valid_codes_are_accepted((code, date, _) in valid()) {
            let hetu = Hetu::parse(&code).unwrap();
            prop_assert_eq!(hetu.birth_date(), date);
            prop_assert_eq!(Hetu::parse(&code.to_lowercase()).unwrap(), hetu);
        }

        /// The check character covers the nine digits: a change of one digit
        /// by δ moves the number by δ·10^k, never a multiple of the prime 31,
        /// so every single-digit change is rejected.
        #[test]
        fn any_single_digit_change_is_rejected((code, ..) in valid(), pos in prop::sample::select(vec![0usize, 1, 2, 3, 4, 5, 7, 8, 9]), delta in 1u8..10) {
            let mut bytes = code.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            prop_assert!(Hetu::parse(std::str::from_utf8(&bytes).unwrap()).is_err());
        }

        /// The century sign is not covered by the check character: another
        /// sign of the same century is always accepted (same birth date);
        /// a sign of another century is accepted exactly when the date
        /// exists in that century (29 February).
        #[test]
        fn century_sign_changes((code, date, sign) in valid(), other in 0usize..13) {
            let changed = format!("{}{}{}", &code[..6], SIGNS[other].0, &code[7..]);
            let result = Hetu::parse(&changed);
            let moved = Date::new(SIGNS[other].1 + date.year() % 100, date.month(), date.day());
            prop_assert_eq!(result.is_ok(), moved.is_some());
            if SIGNS[other].1 == SIGNS[sign].1 {
                prop_assert_eq!(result.unwrap().birth_date(), date);
            }
        }
    }
}
