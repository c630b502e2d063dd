//! The built-in test persons a session completes as.

use super::clock::Date;
use identisure::national_id::Country;

/// A built-in test person of the simulator: whom a session completes as.
///
/// Every national identity number here has valid check digits for its
/// country, so it passes client-side validation. They are fictitious.
///
/// ```
/// use identisure_simulator::{TestPerson, test_persons};
///
/// let astrid: &TestPerson = &test_persons()[0];
/// assert_eq!(astrid.name(), "Astrid Lindqvist");
/// assert_eq!(astrid.ssn(), "198704122384");
/// assert!(astrid.age() >= 39);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TestPerson {
    pub(crate) given_name: &'static str,
    pub(crate) surname: &'static str,
    pub(crate) ssn: &'static str,
    pub(crate) country: Country,
    pub(crate) birth: (i32, u32, u32),
    pub(crate) phone: &'static str,
    pub(crate) email: &'static str,
    pub(crate) street: &'static str,
    pub(crate) postal_code: &'static str,
    pub(crate) city: &'static str,
}

impl TestPerson {
    /// The registered address as one line, the shape the provider's clients
    /// decode (decision `address-shape`).
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_persons()[0].address(), "Storgatan 12, 114 51 Stockholm");
    /// ```
    pub fn address(&self) -> String {
        format!("{}, {} {}", self.street, self.postal_code, self.city)
    }

    /// Given name and surname.
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_persons()[1].name(), "Ingrid Haugen");
    /// ```
    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.surname)
    }

    /// Given name.
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_persons()[0].given_name(), "Astrid");
    /// ```
    pub fn given_name(&self) -> &'static str {
        self.given_name
    }

    /// Surname.
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_persons()[0].surname(), "Lindqvist");
    /// ```
    pub fn surname(&self) -> &'static str {
        self.surname
    }

    /// The national identity number as the simulator reports it
    /// (Swedish: 12 digits; Norwegian: 11 digits; Danish: `DDMMYY-SSSS`;
    /// Finnish: HETU with its century sign and check character).
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_persons()[3].ssn(), "230586-264K");
    /// ```
    pub fn ssn(&self) -> &'static str {
        self.ssn
    }

    /// Birth date, `YYYY-MM-DD`.
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_persons()[0].birth_date(), "1987-04-12");
    /// ```
    pub fn birth_date(&self) -> String {
        let (y, m, d) = self.birth;
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// Age in whole years today (UTC): what age verification compares with
    /// `minAge..=maxAge`.
    ///
    /// ```
    /// let p = &identisure_simulator::test_persons()[0];
    /// assert!(p.age() >= 39 && p.age() < 150);
    /// ```
    pub fn age(&self) -> u32 {
        Date::today().years_since(self.birth)
    }

    /// Country code of the identity number: `SE`, `NO`, `DK` or `FI`.
    ///
    /// ```
    /// assert_eq!(identisure_simulator::test_persons()[2].country(), "DK");
    /// ```
    pub fn country(&self) -> &'static str {
        self.country.code()
    }
}

impl std::fmt::Debug for TestPerson {
    // Fictitious data, but printed like real personal data would be: no number.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPerson")
            .field("name", &self.name())
            .field("country", &self.country.code())
            .finish_non_exhaustive()
    }
}

const fn person(
    given_name: &'static str,
    surname: &'static str,
    ssn: &'static str,
    country: Country,
    birth: (i32, u32, u32),
) -> TestPerson {
    let (phone, email, street, postal_code, city) = match country {
        Country::Se => (
            "+46701740605",
            "test.person@example.se",
            "Storgatan 12",
            "114 51",
            "Stockholm",
        ),
        Country::No => (
            "+4790881716",
            "test.person@example.no",
            "Karl Johans gate 22",
            "0159",
            "Oslo",
        ),
        Country::Dk => (
            "+4520304050",
            "test.person@example.dk",
            "Nørregade 7",
            "1165",
            "København K",
        ),
        Country::Fi => (
            "+358401234567",
            "test.person@example.fi",
            "Mannerheimintie 5",
            "00100",
            "Helsinki",
        ),
    };
    TestPerson {
        given_name,
        surname,
        ssn,
        country,
        birth,
        phone,
        email,
        street,
        postal_code,
        city,
    }
}

/// Whom a session completes as: a built-in [`TestPerson`], or the
/// synthetic person of a number that is none (a name drawn from the
/// number, its birth date where the number holds a real one), so that a
/// person's name is never another person's.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    pub(crate) given_name: &'static str,
    pub(crate) surname: &'static str,
    /// The number as the session reports it.
    pub(crate) ssn: String,
    pub(crate) country: Country,
    /// `None` when the number holds no real date.
    pub(crate) birth: Option<(i32, u32, u32)>,
    /// Phone, email and address: the country's test contact data.
    pub(crate) contact: &'static TestPerson,
}

impl From<&'static TestPerson> for Person {
    fn from(p: &'static TestPerson) -> Self {
        Person {
            given_name: p.given_name,
            surname: p.surname,
            ssn: p.ssn.to_string(),
            country: p.country,
            birth: Some(p.birth),
            contact: p,
        }
    }
}

impl Person {
    pub(crate) fn name(&self) -> String {
        format!("{} {}", self.given_name, self.surname)
    }

    /// Age in whole years today; `None` without a birth date.
    pub(crate) fn age(&self) -> Option<u32> {
        self.birth.map(|birth| Date::today().years_since(birth))
    }

    /// `YYYY-MM-DD`; `None` without a birth date.
    pub(crate) fn birth_date(&self) -> Option<String> {
        self.birth.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
    }

    pub(crate) fn address(&self) -> String {
        self.contact.address()
    }
}

const GIVEN_NAMES: [[&str; 8]; 4] = [
    [
        "Elsa", "Nils", "Maja", "Olof", "Ebba", "Gustav", "Signe", "Viktor",
    ],
    [
        "Kari", "Ola", "Solveig", "Håkon", "Ingeborg", "Eirik", "Liv", "Sindre",
    ],
    [
        "Freja", "Mads", "Ida", "Rasmus", "Karen", "Søren", "Asta", "Jens",
    ],
    [
        "Helmi", "Eero", "Venla", "Juho", "Aada", "Onni", "Lumi", "Veikko",
    ],
];

const SURNAMES: [[&str; 8]; 4] = [
    [
        "Andersson",
        "Bergström",
        "Lundgren",
        "Sandberg",
        "Forsberg",
        "Hedlund",
        "Nordin",
        "Wallin",
    ],
    [
        "Berg", "Dahl", "Lie", "Moen", "Bakke", "Solberg", "Strand", "Lunde",
    ],
    [
        "Nielsen",
        "Hansen",
        "Pedersen",
        "Larsen",
        "Kristensen",
        "Madsen",
        "Holm",
        "Bach",
    ],
    [
        "Korhonen",
        "Mäkinen",
        "Nieminen",
        "Laine",
        "Heikkinen",
        "Koskinen",
        "Järvinen",
        "Lehtonen",
    ],
];

/// The person of a number that is no built-in test person: the same number,
/// the same person.
pub(crate) fn synthetic(country: Country, ssn: &str, birth: Option<(i32, u32, u32)>) -> Person {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{}:{ssn}", country.code()).as_bytes());
    let row = match country {
        Country::Se => 0,
        Country::No => 1,
        Country::Dk => 2,
        Country::Fi => 3,
    };
    Person {
        given_name: GIVEN_NAMES[row][usize::from(digest[0]) % 8],
        surname: SURNAMES[row][usize::from(digest[1]) % 8],
        ssn: ssn.to_string(),
        country,
        birth,
        contact: default_person(country),
    }
}

/// A personal number read for the person it names.
pub(crate) enum Reading {
    /// A well-formed, valid number: its canonical form and birth date.
    Valid(String, (i32, u32, u32)),
    /// The shape of a number, but not a valid one (a wrong check digit, no
    /// real date): the rule it breaks and the birth date it holds, if any.
    Unchecked(String, Option<(i32, u32, u32)>),
}

/// Reads `input` as a number of `country`: `Err` (the rule, never the
/// value) when it does not even have the shape of one.
pub(crate) fn read_number(country: Country, input: &str) -> Result<Reading, String> {
    use identisure::national_id::NationalId;
    let input = input.trim();

    let of = |id: &NationalId| {
        let d = id.birth_date();
        (
            i32::from(d.year()),
            u32::from(d.month()),
            u32::from(d.day()),
        )
    };
    shape(country, input)?;
    match NationalId::parse(country, input) {
        Ok(id) => Ok(Reading::Valid(canonical(country, id.expose()), of(&id))),
        Err(e) => {
            // The date part may be real though a check digit is wrong: the
            // number with a right one tells it.
            let birth = with_any_check(country, input)
                .and_then(|fixed| NationalId::parse(country, &fixed).ok())
                .map(|id| of(&id));
            Ok(Reading::Unchecked(e.to_string(), birth))
        }
    }
}

/// Whether `input` has the shape of a number of `country`: its digits,
/// its length and the usual separators, nothing else (dates and check
/// digits are not the shape).
fn shape(country: Country, input: &str) -> Result<(), String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match country {
        Country::Se => {
            let plain: String = match input.find(['-', '+']) {
                Some(at) if input.len() - at == 5 => {
                    format!("{}{}", &input[..at], &input[at + 1..])
                }
                Some(_) => String::new(),
                None => input.to_string(),
            };
            digits(&plain) && matches!(plain.len(), 10 | 12)
        }
        Country::No => digits(input) && input.len() == 11,
        Country::Dk => {
            let plain = match input.split_once('-') {
                Some((date, serial)) if date.len() == 6 => format!("{date}{serial}"),
                Some(_) => String::new(),
                None => input.to_string(),
            };
            digits(&plain) && plain.len() == 10
        }
        Country::Fi => {
            let b = input.as_bytes();
            input.is_ascii()
                && b.len() == 11
                && digits(&input[..6])
                && b"+-YXWVUABCDEF".contains(&b[6].to_ascii_uppercase())
                && digits(&input[7..10])
                && b[10].is_ascii_alphanumeric()
        }
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "must be a {}",
        match country {
            Country::Se =>
                "Swedish personal identity number: 10 or 12 digits (YYYYMMDDNNNN, YYMMDD-NNNN)",
            Country::No => "Norwegian fødselsnummer: 11 digits",
            Country::Dk => "Danish CPR number: 10 digits (DDMMYY-SSSS)",
            Country::Fi => "Finnish HETU: DDMMYY, a century sign, 3 digits and a check character",
        }
    ))
}

/// The form the simulator reports a number in (Danish: `DDMMYY-SSSS`).
fn canonical(country: Country, normalised: &str) -> String {
    match country {
        Country::Dk if normalised.len() == 10 => {
            format!("{}-{}", &normalised[..6], &normalised[6..])
        }
        _ => normalised.to_string(),
    }
}

/// `input` with the check digits (or character) that make it valid, if any.
fn with_any_check(country: Country, input: &str) -> Option<String> {
    use identisure::national_id::NationalId;

    let candidates: Vec<String> = match country {
        Country::Se => (0..10).map(|d| d.to_string()).collect(),
        Country::No => (0..100).map(|d| format!("{d:02}")).collect(),
        Country::Fi => "0123456789ABCDEFHJKLMNPRSTUVWXY"
            .chars()
            .map(String::from)
            .collect(),
        Country::Dk => return None,
    };
    let keep = input
        .chars()
        .count()
        .checked_sub(candidates[0].chars().count())?;
    let head: String = input.chars().take(keep).collect();
    candidates
        .into_iter()
        .map(|tail| format!("{head}{tail}"))
        .find(|fixed| NationalId::parse(country, fixed).is_ok())
}

/// The default person of each country, then the Swedish scenario persons
/// (see [`super::scenario`]).
pub(crate) static PERSONS: [TestPerson; 16] = [
    person(
        "Astrid",
        "Lindqvist",
        "198704122384",
        Country::Se,
        (1987, 4, 12),
    ),
    person(
        "Ingrid",
        "Haugen",
        "18039040049",
        Country::No,
        (1990, 3, 18),
    ),
    person(
        "Mette",
        "Sørensen",
        "240991-1238",
        Country::Dk,
        (1991, 9, 24),
    ),
    person(
        "Aino",
        "Virtanen",
        "230586-264K",
        Country::Fi,
        (1986, 5, 23),
    ),
    // Swedish scenario persons, in the order of `scenario::SCENARIOS`.
    person("Johan", "Ek", "199003154730", Country::Se, (1990, 3, 15)),
    person("Karin", "Holm", "197511086121", Country::Se, (1975, 11, 8)),
    person("Sara", "Nyberg", "199206273840", Country::Se, (1992, 6, 27)),
    person("Lars", "Åberg", "196812031570", Country::Se, (1968, 12, 3)),
    person("Maria", "Lund", "198110218263", Country::Se, (1981, 10, 21)),
    person("Oskar", "Berg", "199505140492", Country::Se, (1995, 5, 14)),
    person(
        "Anders",
        "Wikström",
        "197909303658",
        Country::Se,
        (1979, 9, 30),
    ),
    person("Per", "Dahl", "198402292919", Country::Se, (1984, 2, 29)),
    person(
        "Linnea",
        "Sjöberg",
        "199307175142",
        Country::Se,
        (1993, 7, 17),
    ),
    person("Emma", "Strand", "198808087020", Country::Se, (1988, 8, 8)),
    // For age checks: a child (under 18 until 2030) and a person over 65.
    person("Alva", "Nord", "201203142383", Country::Se, (2012, 3, 14)),
    person("Gösta", "Lind", "195606012366", Country::Se, (1956, 6, 1)),
];

/// A valid Swedish personal number (12 digits) of someone born on `born`
/// (year, month, day): sessions started with it complete as that number's
/// own person, of that age, so a test can stand on any age bound exactly.
///
/// ```
/// use identisure_simulator::swedish_personal_number;
/// assert_eq!(swedish_personal_number((2012, 3, 14)), "201203142383");
/// let number = swedish_personal_number((2008, 12, 5));
/// assert!(identisure::national_id::se::Personnummer::parse(&number).is_ok());
/// ```
pub fn swedish_personal_number(born: (i32, u32, u32)) -> String {
    let (y, m, d) = born;
    let nine = format!("{:02}{m:02}{d:02}238", y.rem_euclid(100));
    let sum: u32 = nine
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    format!("{y:04}{m:02}{d:02}238{}", (10 - sum % 10) % 10)
}

/// The built-in test persons: first the default person of Sweden, Norway,
/// Denmark and Finland (whom sessions complete as unless a scenario says
/// otherwise), then the Swedish scenario persons of the test identities table.
///
/// ```
/// let persons = identisure_simulator::test_persons();
/// assert_eq!(persons[0].country(), "SE");
/// assert_eq!(persons[1].country(), "NO");
/// ```
pub fn test_persons() -> &'static [TestPerson] {
    &PERSONS
}

/// The default person for a country.
pub(crate) fn default_person(country: Country) -> &'static TestPerson {
    match country {
        Country::Se => &PERSONS[0],
        Country::No => &PERSONS[1],
        Country::Dk => &PERSONS[2],
        Country::Fi => &PERSONS[3],
    }
}

/// Whom a BankID ID-card code verifies as: [`super::VERIFY_QR_CODE`] is
/// Astrid Lindqvist; any other code picks a Swedish test person by its
/// SHA-256, so the same code always gives the same person.
pub(crate) fn for_verify_code(code: &str) -> &'static TestPerson {
    use sha2::{Digest, Sha256};
    if code == super::VERIFY_QR_CODE {
        return &PERSONS[0];
    }
    let swedish: Vec<&'static TestPerson> = PERSONS
        .iter()
        .filter(|p| p.country == Country::Se)
        .collect();
    let digest = Sha256::digest(code.as_bytes());
    let pick = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    swedish[(pick % swedish.len() as u64) as usize]
}

/// The person whose number is `ssn` (already normalised), if built in.
pub(crate) fn by_ssn(ssn: &str) -> Option<&'static TestPerson> {
    PERSONS.iter().find(|p| p.ssn == ssn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_number_is_valid_for_its_country() {
        for p in &PERSONS {
            match read_number(p.country, p.ssn) {
                Ok(Reading::Valid(number, birth)) => {
                    assert_eq!(number, p.ssn, "{}", p.name());
                    assert_eq!(birth, p.birth, "{}", p.name());
                }
                _ => panic!("{} has no valid number", p.name()),
            }
        }
    }

    #[test]
    fn any_verify_code_gives_the_same_swedish_person_every_time() {
        assert_eq!(
            for_verify_code(super::super::VERIFY_QR_CODE).ssn,
            PERSONS[0].ssn
        );
        for code in ["qrdata", "qr", "bankid-idcard.x", "ä"] {
            let p = for_verify_code(code);
            assert_eq!(p.country, Country::Se);
            assert_eq!(p.ssn, for_verify_code(code).ssn);
        }
    }

    #[test]
    fn birth_dates_match_the_numbers() {
        for p in &PERSONS {
            let (y, m, d) = p.birth;
            let digits: String = p.ssn.chars().filter(char::is_ascii_digit).collect();
            let expected = match p.country {
                Country::Se => format!("{y:04}{m:02}{d:02}"),
                _ => format!("{d:02}{m:02}{:02}", y % 100),
            };
            assert!(digits.starts_with(&expected), "{}", p.name());
        }
    }

    #[test]
    fn numbers_are_read_by_shape_then_checks() {
        assert!(read_number(Country::Se, "abc").is_err());
        assert!(read_number(Country::Se, "12345678901").is_err());
        let err = read_number(Country::Se, "1987041223845").err().unwrap();
        assert!(
            err.starts_with("must be a Swedish personal identity number"),
            "{err}"
        );
        assert!(!err.contains("1987041223845"));
        // A wrong check digit: unchecked, the date still read.
        match read_number(Country::Se, "198704122385") {
            Ok(Reading::Unchecked(rule, birth)) => {
                assert_eq!(rule, "check digit mismatch");
                assert_eq!(birth, Some((1987, 4, 12)));
            }
            _ => panic!("expected unchecked"),
        }
        // The provider's own test suites send these: shaped, not valid.
        assert!(matches!(
            read_number(Country::Se, "1234567890"),
            Ok(Reading::Unchecked(_, None))
        ));
        assert!(matches!(
            read_number(Country::No, "12345678901"),
            Ok(Reading::Unchecked(_, None))
        ));
        assert!(matches!(
            read_number(Country::Dk, "1234567890"),
            Ok(Reading::Unchecked(_, None))
        ));
        match read_number(Country::Dk, "2409911238") {
            Ok(Reading::Valid(n, _)) => assert_eq!(n, "240991-1238"),
            _ => panic!("valid CPR"),
        }
    }

    #[test]
    fn a_synthetic_person_is_the_same_for_the_same_number() {
        let a = synthetic(Country::Se, "199001011234", None);
        let b = synthetic(Country::Se, "199001011234", None);
        assert_eq!(a.name(), b.name());
        assert!(PERSONS.iter().all(|p| p.name() != a.name()));
    }
}
