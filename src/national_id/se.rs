//! Sweden: personnummer, samordningsnummer and organisationsnummer.

use std::fmt;

use super::{Date, NationalIdError, digits_with_separator, luhn_valid, personal_id_impls, two};

/// A Swedish personnummer or samordningsnummer (coordination number).
///
/// Accepted forms: `YYMMDD-NNNC`, `YYMMDD+NNNC` (`+` once the person is 100
/// or older), `YYMMDDNNNC`, `YYYYMMDDNNNC` and `YYYYMMDD-NNNC`. The last
/// digit is the Luhn check digit over the last ten digits. A
/// samordningsnummer has 60 added to the day.
///
/// The century of a 10-digit number follows Skatteverket's rule: `-` (or no
/// separator) until the year the person turns 100, `+` from that year on;
/// so with `-` the birth year is within the 99 years before this year. A
/// 12-digit number must be of century 18, 19 or 20. Nobody is born in the
/// future.
///
/// Normalised to 12 digits without separator (`YYYYMMDDNNNC`), the form
/// BankID expects. `Debug` and `Display` redact it.
///
/// ```
/// use identisure::national_id::{Date, se::Personnummer};
///
/// let pn = Personnummer::parse("811218-9876").unwrap();
/// assert_eq!(pn.expose(), "198112189876");
/// assert_eq!(pn.birth_date(), Date::new(1981, 12, 18).unwrap());
/// assert!(!pn.is_samordningsnummer());
/// assert_eq!(format!("{pn:?}"), "Personnummer(<redacted>)");
///
/// let sn = Personnummer::parse("701063-2391").unwrap();
/// assert!(sn.is_samordningsnummer());
/// assert_eq!(sn.birth_date().day(), 3);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Personnummer {
    normalised: String,
    birth_date: Date,
}

personal_id_impls!(Personnummer);

impl Personnummer {
    /// Parses a number, taking today's date (UTC) to place a 10-digit number
    /// in its century.
    ///
    /// ```
    /// use identisure::national_id::{NationalIdError, se::Personnummer};
    ///
    /// assert!(Personnummer::parse("19811218-9876").is_ok());
    /// assert_eq!(Personnummer::parse("19811218-9875"), Err(NationalIdError::CheckDigit));
    /// assert_eq!(Personnummer::parse("19811318-9876"), Err(NationalIdError::Date));
    /// ```
    pub fn parse(input: &str) -> Result<Self, NationalIdError> {
        Self::parse_at(input, Date::today())
    }

    /// Parses a number as if today were `today` (for reproducible results).
    ///
    /// ```
    /// use identisure::national_id::{Date, se::Personnummer};
    ///
    /// let today = Date::new(2026, 1, 1).unwrap();
    /// // 10 digits with '-': born within the last 100 years.
    /// let young = Personnummer::parse_at("121212-1212", today).unwrap();
    /// assert_eq!(young.birth_date().year(), 2012);
    /// // With '+': 100 years or older.
    /// let old = Personnummer::parse_at("121212+1212", today).unwrap();
    /// assert_eq!(old.birth_date().year(), 1912);
    /// ```
    pub fn parse_at(input: &str, today: Date) -> Result<Self, NationalIdError> {
        let (digits, separator) = digits_with_separator(input, &['-', '+'])?;
        let (century, rest) = match digits.len() {
            10 => (None, &digits[..]),
            12 => (Some(two(&digits, 0)), &digits[2..]),
            found => {
                return Err(NationalIdError::Length {
                    expected: "10 or 12 digits",
                    found,
                });
            }
        };
        let plus = match separator {
            None => false,
            Some((_, at)) if at != digits.len() - 4 => {
                return Err(NationalIdError::Format(
                    "the separator must stand before the last four digits",
                ));
            }
            Some(('+', _)) if century.is_some() => {
                return Err(NationalIdError::Format(
                    "'+' is only used with 10 digits (the century is explicit in 12)",
                ));
            }
            Some((c, _)) => c == '+',
        };
        let yy = u16::from(two(rest, 0));
        let month = two(rest, 2);
        let raw_day = two(rest, 4);
        // A samordningsnummer has 60 added to the day.
        let day = if raw_day > 60 { raw_day - 60 } else { raw_day };
        let year = match century {
            Some(c @ 18..=20) => u16::from(c) * 100 + yy,
            Some(_) => return Err(NationalIdError::Date),
            None => {
                // Skatteverket: '-' until the year the person turns 100,
                // '+' from that year on.
                let mut year = today.year() / 100 * 100 + yy;
                if year > today.year() {
                    year = year.saturating_sub(100);
                }
                if plus {
                    year = year.saturating_sub(100);
                }
                year
            }
        };
        let birth_date = Date::new(year, month, day).ok_or(NationalIdError::Date)?;
        if birth_date > today {
            return Err(NationalIdError::Date);
        }
        if !luhn_valid(rest) {
            return Err(NationalIdError::CheckDigit);
        }
        let mut normalised = format!("{year:04}");
        normalised.extend(rest[2..].iter().map(|d| char::from(b'0' + d)));
        Ok(Self {
            normalised,
            birth_date,
        })
    }

    /// The 12-digit normalised number `YYYYMMDDNNNC` (for a samordningsnummer
    /// the day keeps its +60). Personal data: handle with care.
    ///
    /// ```
    /// let pn = identisure::national_id::se::Personnummer::parse("8112189876").unwrap();
    /// assert_eq!(pn.expose(), "198112189876");
    /// ```
    pub fn expose(&self) -> &str {
        &self.normalised
    }

    /// The birth date (for a samordningsnummer, with the 60 taken off).
    ///
    /// ```
    /// let pn = identisure::national_id::se::Personnummer::parse("198112189876").unwrap();
    /// assert_eq!(pn.birth_date().to_string(), "1981-12-18");
    /// ```
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// Whether this is a samordningsnummer (day + 60).
    ///
    /// ```
    /// let sn = identisure::national_id::se::Personnummer::parse("197010632391").unwrap();
    /// assert!(sn.is_samordningsnummer());
    /// ```
    pub fn is_samordningsnummer(&self) -> bool {
        self.normalised.as_bytes()[6] >= b'6'
    }
}

/// A Swedish organisationsnummer: 10 digits (`NNNNNN-NNNN`, dash optional,
/// also accepted with the `16` prefix some registers add), Luhn check digit,
/// third digit at least 2 (which tells it from a personnummer).
///
/// Company numbers are public, so `Display` shows `NNNNNN-NNNN`. It converts
/// into the `String` (10 digits, no dash) that request builders take for
/// `orgNumber`.
///
/// ```
/// use identisure::national_id::se::Organisationsnummer;
///
/// let org = Organisationsnummer::parse("556016-0680").unwrap();
/// assert_eq!(org.as_str(), "5560160680");
/// assert_eq!(org.to_string(), "556016-0680");
/// let field: String = org.into();
/// assert_eq!(field, "5560160680");
/// assert!(Organisationsnummer::parse("811218-9876").is_err()); // a personnummer
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Organisationsnummer(String);

impl Organisationsnummer {
    /// Parses a number.
    ///
    /// ```
    /// use identisure::national_id::{NationalIdError, se::Organisationsnummer};
    ///
    /// assert!(Organisationsnummer::parse("165560160680").is_ok());
    /// assert_eq!(Organisationsnummer::parse("556016-0681"), Err(NationalIdError::CheckDigit));
    /// ```
    pub fn parse(input: &str) -> Result<Self, NationalIdError> {
        let (digits, separator) = digits_with_separator(input, &['-'])?;
        let rest = match digits.len() {
            10 => &digits[..],
            12 if digits[..2] == [1, 6] => &digits[2..],
            12 => {
                return Err(NationalIdError::Format(
                    "a 12-digit form must start with 16",
                ));
            }
            found => {
                return Err(NationalIdError::Length {
                    expected: "10 digits",
                    found,
                });
            }
        };
        if let Some((_, at)) = separator
            && at != digits.len() - 4
        {
            return Err(NationalIdError::Format(
                "the separator must stand before the last four digits",
            ));
        }
        if rest[2] < 2 {
            return Err(NationalIdError::Format(
                "the third digit must be 2 or more (lower is a personnummer)",
            ));
        }
        if !luhn_valid(rest) {
            return Err(NationalIdError::CheckDigit);
        }
        Ok(Self(rest.iter().map(|d| char::from(b'0' + d)).collect()))
    }

    /// The 10 digits, no dash.
    ///
    /// ```
    /// let org = identisure::national_id::se::Organisationsnummer::parse("5560160680").unwrap();
    /// assert_eq!(org.as_str(), "5560160680");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Organisationsnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Organisationsnummer({self})")
    }
}

impl fmt::Display for Organisationsnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..6], &self.0[6..])
    }
}

impl std::str::FromStr for Organisationsnummer {
    type Err = NationalIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Organisationsnummer> for String {
    fn from(org: Organisationsnummer) -> Self {
        org.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Date {
        Date::new(2026, 1, 1).unwrap()
    }

    /// Independent Luhn: the check digit completing nine digits.
    fn luhn_digit(nine: &[u8]) -> u8 {
        let mut sum = 0u32;
        for (i, &d) in nine.iter().enumerate() {
            let v = if i % 2 == 0 {
                u32::from(d) * 2
            } else {
                u32::from(d)
            };
            sum += v / 10 + v % 10;
        }
        ((10 - sum % 10) % 10) as u8
    }

    fn to_string(digits: &[u8]) -> String {
        digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// (12-digit string, birth date) of a valid number born on or before `today()`.
    fn valid_12() -> impl Strategy<Value = (String, Date)> {
        (
            1850u16..=2025,
            1u8..=12,
            1u8..=31,
            any::<bool>(),
            0u16..1000,
        )
            .prop_filter_map("real date", |(y, m, d, coord, serial)| {
                let date = Date::new(y, m, d)?;
                let shown_day = if coord { d + 60 } else { d };
                let mut digits = vec![
                    (y % 100 / 10) as u8,
                    (y % 10) as u8,
                    m / 10,
                    m % 10,
                    shown_day / 10,
                    shown_day % 10,
                    (serial / 100) as u8,
                    (serial / 10 % 10) as u8,
                    (serial % 10) as u8,
                ];
                digits.push(luhn_digit(&digits));
                Some((format!("{:02}{}", y / 100, to_string(&digits)), date))
            })
    }

    #[test]
    fn known_numbers() {
        let pn = Personnummer::parse_at("19811218-9876", today()).unwrap();
        assert_eq!(pn.expose(), "198112189876");
        assert_eq!(pn.to_string(), "<redacted personal number>");
        // Same number in all accepted spellings.
        for form in [
            "811218-9876",
            "8112189876",
            "198112189876",
            " 19811218-9876 ",
        ] {
            assert_eq!(Personnummer::parse_at(form, today()).unwrap(), pn, "{form}");
        }
        // Samordningsnummer 701063-2391 (day 63 = 3rd).
        let sn = Personnummer::parse_at("701063-2391", today()).unwrap();
        assert_eq!(sn.expose(), "197010632391");
        assert_eq!(sn.birth_date(), Date::new(1970, 10, 3).unwrap());
    }

    #[test]
    fn errors_name_the_rule() {
        let p = |s| Personnummer::parse_at(s, today());
        assert_eq!(
            p("81121898"),
            Err(NationalIdError::Length {
                expected: "10 or 12 digits",
                found: 8
            })
        );
        assert_eq!(
            p("8112-189876"),
            Err(NationalIdError::Format(
                "the separator must stand before the last four digits"
            ))
        );
        assert!(matches!(p("811218--9876"), Err(NationalIdError::Format(_))));
        assert!(matches!(p("811218/9876"), Err(NationalIdError::Format(_))));
        assert!(matches!(
            p("19811218+9876"),
            Err(NationalIdError::Format(_))
        ));
        assert_eq!(p("811318-9876"), Err(NationalIdError::Date));
        assert_eq!(p("811200-9876"), Err(NationalIdError::Date));
        assert_eq!(p("811218-9877"), Err(NationalIdError::CheckDigit));
        // Century 17 and the future are refused.
        assert_eq!(p("178112189876"), Err(NationalIdError::Date));
        assert_eq!(p("20300101-0000"), Err(NationalIdError::Date));
    }

    #[test]
    fn ten_digit_century_follows_reference_date() {
        // Born 2025-12-31: one day old; '+' makes it 1925.
        let d = Date::new(2025, 12, 31).unwrap();
        let digits = {
            let mut v = vec![2, 5, 1, 2, 3, 1, 1, 2, 3];
            v.push(luhn_digit(&v));
            to_string(&v)
        };
        let minus = format!("{}-{}", &digits[..6], &digits[6..]);
        let plus = format!("{}+{}", &digits[..6], &digits[6..]);
        assert_eq!(
            Personnummer::parse_at(&minus, today())
                .unwrap()
                .birth_date(),
            d
        );
        assert_eq!(
            Personnummer::parse_at(&plus, today())
                .unwrap()
                .birth_date()
                .year(),
            1925
        );
        // On 2025-12-30, '-' means 2025, which is still in the future.
        let earlier = Date::new(2025, 12, 30).unwrap();
        assert_eq!(
            Personnummer::parse_at(&minus, earlier),
            Err(NationalIdError::Date)
        );
        // The '+' switch happens with the calendar year, not the birthday:
        // someone born 1926-12-31 writes '+' all through 2026.
        let late = Date::new(2026, 12, 1).unwrap();
        let mut v = vec![2, 6, 1, 2, 3, 1, 1, 2, 3];
        v.push(luhn_digit(&v));
        let s = to_string(&v);
        let plus = format!("{}+{}", &s[..6], &s[6..]);
        assert_eq!(
            Personnummer::parse_at(&plus, late)
                .unwrap()
                .birth_date()
                .year(),
            1926
        );
        let minus = format!("{}-{}", &s[..6], &s[6..]);
        assert_eq!(
            Personnummer::parse_at(&minus, late),
            Err(NationalIdError::Date)
        );
    }

    #[test]
    fn orgnummer_rules() {
        assert_eq!(
            Organisationsnummer::parse("5560160680").unwrap().as_str(),
            "5560160680"
        );
        assert_eq!(
            Organisationsnummer::parse("16556016-0680")
                .unwrap()
                .as_str(),
            "5560160680"
        );
        assert!(matches!(
            Organisationsnummer::parse("175560160680"),
            Err(NationalIdError::Format(_))
        ));
        assert!(matches!(
            Organisationsnummer::parse("55601-60680"),
            Err(NationalIdError::Format(_))
        ));
        assert_eq!(
            Organisationsnummer::parse("556016068"),
            Err(NationalIdError::Length {
                expected: "10 digits",
                found: 9
            })
        );
        // 811218-9876 passes Luhn but its third digit is 1.
        assert!(matches!(
            Organisationsnummer::parse("811218-9876"),
            Err(NationalIdError::Format(_))
        ));
        assert_eq!(
            format!("{:?}", Organisationsnummer::parse("5560160680").unwrap()),
            "Organisationsnummer(556016-0680)"
        );
    }

    proptest! {
        #[test]
        fn valid_numbers_are_accepted_in_every_form((twelve, date) in valid_12()) {
            let pn = Personnummer::parse_at(&twelve, today()).unwrap();
            prop_assert_eq!(pn.expose(), twelve.as_str());
            prop_assert_eq!(pn.birth_date(), date);
            let dashed = format!("{}-{}", &twelve[..8], &twelve[8..]);
            prop_assert_eq!(Personnummer::parse_at(&dashed, today()).unwrap(), pn.clone());
            // The 10-digit form: '-' until the year of the 100th birthday.
            let sep = if today().year() - date.year() >= 100 { '+' } else { '-' };
            let ten = format!("{}{sep}{}", &twelve[2..8], &twelve[8..]);
            prop_assert_eq!(Personnummer::parse_at(&ten, today()).unwrap(), pn);
        }

        /// Luhn catches every single-digit substitution in the last ten
        /// digits; the century digits are not covered by the check digit, so
        /// a change there is accepted exactly when the new century is 18, 19
        /// or 20 and the date stays real and not in the future.
        #[test]
        fn single_digit_changes((twelve, _) in valid_12(), pos in 0usize..12, delta in 1u8..10) {
            let mut digits: Vec<u8> = twelve.bytes().map(|b| b - b'0').collect();
            digits[pos] = (digits[pos] + delta) % 10;
            let changed = to_string(&digits);
            let result = Personnummer::parse_at(&changed, today());
            if pos >= 2 {
                prop_assert!(result.is_err(), "{} accepted", changed);
            } else {
                let century = u16::from(digits[0]) * 10 + u16::from(digits[1]);
                let year = century * 100 + u16::from(digits[2]) * 10 + u16::from(digits[3]);
                let day = (digits[6] * 10 + digits[7]) % 60;
                let expect = (18..=20).contains(&century)
                    && Date::new(year, digits[4] * 10 + digits[5], day).is_some_and(|d| d <= today());
                prop_assert_eq!(result.is_ok(), expect, "{}", changed);
            }
        }

        #[test]
        fn orgnummer_valid_and_single_digit_changes(
            first in proptest::collection::vec(0u8..10, 2),
            third in 2u8..10,
            rest in proptest::collection::vec(0u8..10, 6),
            pos in 0usize..10,
            delta in 1u8..10,
        ) {
            let mut digits = first;
            digits.push(third);
            digits.extend(rest);
            digits.push(luhn_digit(&digits));
            let valid = to_string(&digits);
            let parsed = Organisationsnummer::parse(&valid).unwrap();
            prop_assert_eq!(parsed.as_str(), valid.as_str());
            digits[pos] = (digits[pos] + delta) % 10;
            prop_assert!(Organisationsnummer::parse(&to_string(&digits)).is_err());
        }
    }
}
