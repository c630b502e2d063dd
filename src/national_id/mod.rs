//! National identity numbers of the Nordic countries: parse, normalise and
//! check them before they are sent (client-side validation only: a valid
//! number need not belong to anyone).
//!
//! | type | country | rules |
//! |---|---|---|
//! | [`se::Personnummer`] | Sweden | 10 or 12 digits, `-`/`+`, Luhn, samordningsnummer (day + 60) |
//! | [`se::Organisationsnummer`] | Sweden | 10 digits, Luhn, third digit ≥ 2 |
//! | [`no::Fodselsnummer`] | Norway | 11 digits, two mod-11 check digits, D-, H- and synthetic numbers |
//! | [`dk::Cpr`] | Denmark | 10 digits, valid date (no check digit since 2007) |
//! | [`fi::Hetu`] | Finland | DDMMYY, century sign, 3 digits, mod-31 check character |
//!
//! The personal numbers redact themselves in `Debug` and `Display`; read
//! them with `expose()`. They convert into [`PersonalNumber`] so request
//! builders take them for `ssn`.
//!
//! ```
//! use identisure::national_id::{Country, NationalId, NationalIdError};
//!
//! let id = NationalId::parse(Country::Se, "19900101-0017").unwrap();
//! assert_eq!(id.expose(), "199001010017");
//! assert_eq!(id.birth_date().to_string(), "1990-01-01");
//! assert_eq!(format!("{id:?}"), "Se(Personnummer(<redacted>))");
//! assert_eq!(
//!     NationalId::parse(Country::Se, "19900101-0018").unwrap_err(),
//!     NationalIdError::CheckDigit
//! );
//! ```

use std::fmt;

use crate::PersonalNumber;

mod date;
pub mod dk;
pub mod fi;
pub mod no;
pub mod se;

pub use date::Date;

/// Why a national identity number was refused. Never contains the number.
///
/// ```
/// use identisure::national_id::{NationalIdError, se::Personnummer};
///
/// let err = Personnummer::parse("12345").unwrap_err();
/// assert_eq!(err, NationalIdError::Length { expected: "10 or 12 digits", found: 5 });
/// assert_eq!(err.to_string(), "wrong length: expected 10 or 12 digits, found 5");
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NationalIdError {
    /// Too few or too many digits.
    Length {
        /// What the format requires.
        expected: &'static str,
        /// How many digits (or characters) were given.
        found: usize,
    },
    /// A character or separator is not allowed where it stands.
    Format(&'static str),
    /// The birth date part is not a real date.
    Date,
    /// The check digit (or character) does not match.
    CheckDigit,
}

impl fmt::Display for NationalIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { expected, found } => {
                write!(f, "wrong length: expected {expected}, found {found}")
            }
            Self::Format(reason) => write!(f, "invalid format: {reason}"),
            Self::Date => f.write_str("invalid date: the birth date part is not a real date"),
            Self::CheckDigit => f.write_str("check digit mismatch"),
        }
    }
}

/// What `main() -> Result<(), Box<dyn std::error::Error>>` prints: the
/// variant, and that the value is not a personal identity number (never
/// the value).
///
/// ```
/// use identisure::national_id::se::Personnummer;
///
/// let err = Personnummer::parse("19870412-2385").unwrap_err();
/// assert_eq!(
///     format!("{err:?}"),
///     "CheckDigit: not a valid personal identity number: check digit mismatch"
/// );
/// ```
impl fmt::Debug for NationalIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variant = match self {
            Self::Length { .. } => "Length",
            Self::Format(_) => "Format",
            Self::Date => "Date",
            Self::CheckDigit => "CheckDigit",
        };
        write!(f, "{variant}: not a valid personal identity number: {self}")
    }
}

impl std::error::Error for NationalIdError {}

/// A country whose personal identity numbers this module knows.
///
/// Parses case-insensitively from ISO codes and English names.
///
/// ```
/// use identisure::national_id::Country;
///
/// assert_eq!("SE".parse::<Country>(), Ok(Country::Se));
/// assert_eq!("norway".parse::<Country>(), Ok(Country::No));
/// assert!("de".parse::<Country>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Country {
    /// Sweden: personnummer / samordningsnummer.
    Se,
    /// Norway: fødselsnummer / D-nummer / H-nummer.
    No,
    /// Denmark: CPR-nummer.
    Dk,
    /// Finland: henkilötunnus (HETU).
    Fi,
}

impl Country {
    /// The four countries, in the order Sweden, Norway, Denmark, Finland.
    ///
    /// ```
    /// use identisure::national_id::Country;
    /// assert_eq!(Country::ALL.len(), 4);
    /// ```
    pub const ALL: [Country; 4] = [Country::Se, Country::No, Country::Dk, Country::Fi];

    /// The ISO 3166-1 alpha-2 code: `"SE"`, `"NO"`, `"DK"` or `"FI"`.
    ///
    /// ```
    /// use identisure::national_id::Country;
    /// assert_eq!(Country::Dk.code(), "DK");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Country::Se => "SE",
            Country::No => "NO",
            Country::Dk => "DK",
            Country::Fi => "FI",
        }
    }
}

/// A country name or code that [`Country`] does not know.
///
/// ```
/// let err = "xx".parse::<identisure::national_id::Country>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown country (use se, no, dk or fi)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownCountry;

impl fmt::Display for UnknownCountry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown country (use se, no, dk or fi)")
    }
}

impl std::error::Error for UnknownCountry {}

impl std::str::FromStr for Country {
    type Err = UnknownCountry;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "se" | "swe" | "sweden" => Ok(Self::Se),
            "no" | "nor" | "norway" => Ok(Self::No),
            "dk" | "dnk" | "denmark" => Ok(Self::Dk),
            "fi" | "fin" | "finland" => Ok(Self::Fi),
            _ => Err(UnknownCountry),
        }
    }
}

/// A personal identity number of any supported country.
///
/// ```
/// use identisure::national_id::{Country, NationalId};
///
/// let id = NationalId::parse(Country::Fi, "131052-308T").unwrap();
/// assert_eq!(id.country(), Country::Fi);
/// let ssn: identisure::PersonalNumber = id.into();
/// assert_eq!(ssn.expose(), "131052-308T");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NationalId {
    /// Swedish personnummer or samordningsnummer.
    Se(se::Personnummer),
    /// Norwegian fødselsnummer, D- or H-number.
    No(no::Fodselsnummer),
    /// Danish CPR number.
    Dk(dk::Cpr),
    /// Finnish HETU.
    Fi(fi::Hetu),
}

impl NationalId {
    /// Parses `input` by the rules of `country`.
    ///
    /// ```
    /// use identisure::national_id::{Country, NationalId};
    /// assert!(NationalId::parse(Country::Dk, "010190-1234").is_ok());
    /// assert!(NationalId::parse(Country::Dk, "320190-1234").is_err());
    /// ```
    pub fn parse(country: Country, input: &str) -> Result<Self, NationalIdError> {
        Ok(match country {
            Country::Se => Self::Se(se::Personnummer::parse(input)?),
            Country::No => Self::No(no::Fodselsnummer::parse(input)?),
            Country::Dk => Self::Dk(dk::Cpr::parse(input)?),
            Country::Fi => Self::Fi(fi::Hetu::parse(input)?),
        })
    }

    /// The country.
    ///
    /// ```
    /// use identisure::national_id::{Country, NationalId};
    /// let id = NationalId::parse(Country::No, "20123931743").unwrap();
    /// assert_eq!(id.country(), Country::No);
    /// ```
    pub fn country(&self) -> Country {
        match self {
            Self::Se(_) => Country::Se,
            Self::No(_) => Country::No,
            Self::Dk(_) => Country::Dk,
            Self::Fi(_) => Country::Fi,
        }
    }

    /// The birth date the number encodes.
    ///
    /// ```
    /// use identisure::national_id::{Country, NationalId};
    /// let id = NationalId::parse(Country::No, "20123931743").unwrap();
    /// assert_eq!(id.birth_date().to_string(), "1939-12-20");
    /// ```
    pub fn birth_date(&self) -> Date {
        match self {
            Self::Se(n) => n.birth_date(),
            Self::No(n) => n.birth_date(),
            Self::Dk(n) => n.birth_date(),
            Self::Fi(n) => n.birth_date(),
        }
    }

    /// The normalised number (see each type). Personal data: handle with care.
    ///
    /// ```
    /// use identisure::national_id::{Country, NationalId};
    /// let id = NationalId::parse(Country::Dk, "010190-1234").unwrap();
    /// assert_eq!(id.expose(), "0101901234");
    /// ```
    pub fn expose(&self) -> &str {
        match self {
            Self::Se(n) => n.expose(),
            Self::No(n) => n.expose(),
            Self::Dk(n) => n.expose(),
            Self::Fi(n) => n.expose(),
        }
    }
}

impl From<NationalId> for PersonalNumber {
    fn from(id: NationalId) -> Self {
        personal_number(id.expose())
    }
}

/// Wraps a normalised number; normalised numbers are never empty.
fn personal_number(normalised: &str) -> PersonalNumber {
    PersonalNumber::from(normalised)
}

/// Implements redacted `Debug`/`Display` and the conversions into
/// `PersonalNumber` (for the `ssn` setters of the request builders).
macro_rules! personal_id_impls {
    ($ty:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($ty), "(<redacted>)"))
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("<redacted personal number>")
            }
        }

        impl From<$ty> for crate::PersonalNumber {
            fn from(id: $ty) -> Self {
                crate::national_id::personal_number(id.expose())
            }
        }

        impl From<&$ty> for crate::PersonalNumber {
            fn from(id: &$ty) -> Self {
                crate::national_id::personal_number(id.expose())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = crate::national_id::NationalIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use personal_id_impls;

/// Digits and, when present, the separator with its index among the digits.
pub(crate) type SplitDigits = (Vec<u8>, Option<(char, usize)>);

/// Splits `input` into its digits, allowing separator characters from
/// `separators` (at most one, at a position checked by the caller).
/// Returns the digits and the separator with its index among the digits.
pub(crate) fn digits_with_separator(
    input: &str,
    separators: &[char],
) -> Result<SplitDigits, NationalIdError> {
    let mut digits = Vec::with_capacity(12);
    let mut separator = None;
    for c in input.trim().chars() {
        if let Some(d) = c.to_digit(10) {
            digits.push(d as u8);
        } else if separators.contains(&c) {
            if separator.is_some() {
                return Err(NationalIdError::Format("more than one separator"));
            }
            separator = Some((c, digits.len()));
        } else {
            return Err(NationalIdError::Format("unexpected character"));
        }
    }
    Ok((digits, separator))
}

/// The Luhn (mod 10) check over all of `digits` (the last one is the
/// check digit).
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Two digits as a number.
pub(crate) fn two(digits: &[u8], at: usize) -> u8 {
    digits[at] * 10 + digits[at + 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_reference() {
        // 811218-9876 is Skatteverket's textbook example.
        assert!(luhn_valid(&[8, 1, 1, 2, 1, 8, 9, 8, 7, 6]));
        assert!(!luhn_valid(&[8, 1, 1, 2, 1, 8, 9, 8, 7, 5]));
    }

    #[test]
    fn country_parsing_is_case_insensitive() {
        for (s, c) in [
            ("SE", Country::Se),
            ("No", Country::No),
            ("dK", Country::Dk),
            ("FI", Country::Fi),
        ] {
            assert_eq!(s.parse::<Country>(), Ok(c));
        }
    }

    #[test]
    fn errors_never_contain_the_number() {
        let inputs = [
            ("199001010018", Country::Se),
            ("19901301-0017", Country::Se),
            ("20123931744", Country::No),
            ("320190-1234", Country::Dk),
            ("131052-308X", Country::Fi),
        ];
        for (input, country) in inputs {
            let err = NationalId::parse(country, input).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(!text.contains(&input[..6]), "{text}");
        }
    }

    #[test]
    fn converts_into_builder_ssn() {
        use crate::providers::{bankid_se, freja};
        let request = freja::BackchannelAuthRequest::default()
            .ssn(se::Personnummer::parse("199001010017").unwrap())
            .country("SWEDEN");
        let body = crate::raw::types::FrejaBackchannelAuthRequest::try_from(request).unwrap();
        assert_eq!(body.ssn.expose(), "199001010017");

        let request = bankid_se::AuthRequest::default()
            .ssn(se::Personnummer::parse("900101-0017").unwrap())
            .org_number(se::Organisationsnummer::parse("556016-0680").unwrap());
        let body = crate::raw::types::BankIdSeAuthRequest::try_from(request).unwrap();
        assert_eq!(body.ssn.unwrap().expose(), "199001010017");
        assert_eq!(body.org_number.as_deref(), Some("5560160680"));
    }
}
