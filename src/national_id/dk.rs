//! Denmark: CPR-nummer.

use super::{Date, NationalIdError, digits_with_separator, personal_id_impls, two};

/// A Danish CPR number, `DDMMYY-SSSS` (dash optional).
///
/// There is no check digit: the modulus-11 rule was dropped in 2007, so
/// validation is the date. The century comes from the seventh digit with
/// the two-digit year (CPR office rules):
///
/// | 7th digit | YY 00–36 | YY 37–57 | YY 58–99 |
/// |---|---|---|---|
/// | 0–3 | 19YY | 19YY | 19YY |
/// | 4, 9 | 20YY | 19YY | 19YY |
/// | 5–8 | 20YY | 20YY | 18YY |
///
/// Normalised to 10 digits without dash; `Debug` and `Display` redact it.
///
/// ```
/// use identisure::national_id::{Date, dk::Cpr};
///
/// let cpr = Cpr::parse("010190-1234").unwrap();
/// assert_eq!(cpr.expose(), "0101901234");
/// assert_eq!(cpr.birth_date(), Date::new(1990, 1, 1).unwrap());
/// assert_eq!(format!("{cpr:?}"), "Cpr(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cpr {
    normalised: String,
    birth_date: Date,
}

personal_id_impls!(Cpr);

/// The birth year from the two-digit year and the seventh digit.
pub(crate) fn century_year(yy: u16, seventh: u8) -> u16 {
    match (seventh, yy) {
        (0..=3, _) => 1900 + yy,
        (4 | 9, 0..=36) => 2000 + yy,
        (4 | 9, _) => 1900 + yy,
        (_, 0..=57) => 2000 + yy,
        (_, _) => 1800 + yy,
    }
}

impl Cpr {
    /// Parses a number.
    ///
    /// ```
    /// use identisure::national_id::{NationalIdError, dk::Cpr};
    ///
    /// assert_eq!(Cpr::parse("290200-4000").unwrap().birth_date().year(), 2000);
    /// // 1900 was no leap year.
    /// assert_eq!(Cpr::parse("290200-1000"), Err(NationalIdError::Date));
    /// ```
    pub fn parse(input: &str) -> Result<Self, NationalIdError> {
        let (digits, separator) = digits_with_separator(input, &['-'])?;
        if digits.len() != 10 {
            return Err(NationalIdError::Length {
                expected: "10 digits",
                found: digits.len(),
            });
        }
        if let Some((_, at)) = separator
            && at != 6
        {
            return Err(NationalIdError::Format(
                "the dash must follow the six date digits",
            ));
        }
        let year = century_year(u16::from(two(&digits, 4)), digits[6]);
        let birth_date =
            Date::new(year, two(&digits, 2), two(&digits, 0)).ok_or(NationalIdError::Date)?;
        Ok(Self {
            normalised: digits.iter().map(|d| char::from(b'0' + d)).collect(),
            birth_date,
        })
    }

    /// The 10 digits. Personal data: handle with care.
    ///
    /// ```
    /// let cpr = identisure::national_id::dk::Cpr::parse("0101901234").unwrap();
    /// assert_eq!(cpr.expose(), "0101901234");
    /// ```
    pub fn expose(&self) -> &str {
        &self.normalised
    }

    /// The birth date.
    ///
    /// ```
    /// let cpr = identisure::national_id::dk::Cpr::parse("311299-5000").unwrap();
    /// assert_eq!(cpr.birth_date().to_string(), "1899-12-31");
    /// ```
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(digits: &[u8]) -> String {
        digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The rule restated independently: is DDMMYY with this seventh digit
    /// a real date?
    fn real_date(d: &[u8]) -> bool {
        let dd = u32::from(d[0] * 10 + d[1]);
        let mm = u32::from(d[2] * 10 + d[3]);
        let yy = u32::from(d[4] * 10 + d[5]);
        let year = match d[6] {
            0..=3 => 1900 + yy,
            4 | 9 if yy <= 36 => 2000 + yy,
            4 | 9 => 1900 + yy,
            _ if yy <= 57 => 2000 + yy,
            _ => 1800 + yy,
        };
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        (1..=12).contains(&mm) && dd >= 1 && dd <= days[(mm - 1) as usize]
    }

    fn valid() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(0u8..10, 10).prop_filter("real date", |d| real_date(d))
    }

    #[test]
    fn century_table() {
        assert_eq!(century_year(36, 4), 2036);
        assert_eq!(century_year(37, 4), 1937);
        assert_eq!(century_year(57, 5), 2057);
        assert_eq!(century_year(58, 8), 1858);
        assert_eq!(century_year(99, 3), 1999);
        assert_eq!(century_year(0, 9), 2000);
    }

    #[test]
    fn errors() {
        assert_eq!(
            Cpr::parse("010190123"),
            Err(NationalIdError::Length {
                expected: "10 digits",
                found: 9
            })
        );
        assert!(matches!(
            Cpr::parse("0101-901234"),
            Err(NationalIdError::Format(_))
        ));
        assert_eq!(Cpr::parse("001390-1234"), Err(NationalIdError::Date));
    }

    proptest! {
        #[test]
        fn valid_numbers_are_accepted(digits in valid()) {
            let cpr = Cpr::parse(&s(&digits)).unwrap();
            let dashed = format!("{}-{}", &s(&digits)[..6], &s(&digits)[6..]);
            prop_assert_eq!(Cpr::parse(&dashed).unwrap(), cpr.clone());
            prop_assert_eq!(cpr.birth_date().day(), digits[0] * 10 + digits[1]);
        }

        /// Without a check digit, a changed digit is refused exactly when the
        /// date it yields (century from the seventh digit) is not real; the
        /// last three digits never matter.
        #[test]
        fn single_digit_changes(digits in valid(), pos in 0usize..10, delta in 1u8..10) {
            let mut changed = digits.clone();
            changed[pos] = (changed[pos] + delta) % 10;
            let accepted = Cpr::parse(&s(&changed)).is_ok();
            prop_assert_eq!(accepted, real_date(&changed));
            if pos >= 7 {
                prop_assert!(accepted);
            }
        }
    }
}
