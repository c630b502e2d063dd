//! The built-in test persons a session completes as.

use super::clock::Date;

/// A built-in test person of the simulator: whom a session completes as.
///
/// Every national identity number here has valid check digits for its
/// country, so it passes client-side validation. They are fictitious.
///
/// ```
/// use identisure::simulator::{TestPerson, test_persons};
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

/// Country of a test person's identity number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Country {
    Sweden,
    Norway,
    Denmark,
    Finland,
}

impl Country {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Country::Sweden => "SWEDEN",
            Country::Norway => "NORWAY",
            Country::Denmark => "DENMARK",
            Country::Finland => "FINLAND",
        }
    }

    /// The country of a Freja `country` value, when it is one of the four.
    pub(crate) fn from_wire(wire: &str) -> Option<Country> {
        [
            Country::Sweden,
            Country::Norway,
            Country::Denmark,
            Country::Finland,
        ]
        .into_iter()
        .find(|c| c.wire() == wire)
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Country::Sweden => "SE",
            Country::Norway => "NO",
            Country::Denmark => "DK",
            Country::Finland => "FI",
        }
    }
}

impl TestPerson {
    /// The registered address as one line, the shape the provider's clients
    /// decode (decision `address-shape`).
    ///
    /// ```
    /// assert_eq!(identisure::simulator::test_persons()[0].address(), "Storgatan 12, 114 51 Stockholm");
    /// ```
    pub fn address(&self) -> String {
        format!("{}, {} {}", self.street, self.postal_code, self.city)
    }

    /// Given name and surname.
    ///
    /// ```
    /// assert_eq!(identisure::simulator::test_persons()[1].name(), "Ingrid Haugen");
    /// ```
    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.surname)
    }

    /// Given name.
    ///
    /// ```
    /// assert_eq!(identisure::simulator::test_persons()[0].given_name(), "Astrid");
    /// ```
    pub fn given_name(&self) -> &'static str {
        self.given_name
    }

    /// Surname.
    ///
    /// ```
    /// assert_eq!(identisure::simulator::test_persons()[0].surname(), "Lindqvist");
    /// ```
    pub fn surname(&self) -> &'static str {
        self.surname
    }

    /// The national identity number as the simulator reports it
    /// (Swedish: 12 digits; Norwegian: 11 digits; Danish: `DDMMYY-SSSS`;
    /// Finnish: HETU with its century sign and check character).
    ///
    /// ```
    /// assert_eq!(identisure::simulator::test_persons()[3].ssn(), "230586-264K");
    /// ```
    pub fn ssn(&self) -> &'static str {
        self.ssn
    }

    /// Birth date, `YYYY-MM-DD`.
    ///
    /// ```
    /// assert_eq!(identisure::simulator::test_persons()[0].birth_date(), "1987-04-12");
    /// ```
    pub fn birth_date(&self) -> String {
        let (y, m, d) = self.birth;
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// Age in whole years today (UTC): what age verification compares with
    /// `minAge..=maxAge`.
    ///
    /// ```
    /// let p = &identisure::simulator::test_persons()[0];
    /// assert!(p.age() >= 39 && p.age() < 150);
    /// ```
    pub fn age(&self) -> u32 {
        Date::today().years_since(self.birth)
    }

    /// Country code of the identity number: `SE`, `NO`, `DK` or `FI`.
    ///
    /// ```
    /// assert_eq!(identisure::simulator::test_persons()[2].country(), "DK");
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
        Country::Sweden => (
            "+46701740605",
            "test.person@example.se",
            "Storgatan 12",
            "114 51",
            "Stockholm",
        ),
        Country::Norway => (
            "+4790881716",
            "test.person@example.no",
            "Karl Johans gate 22",
            "0159",
            "Oslo",
        ),
        Country::Denmark => (
            "+4520304050",
            "test.person@example.dk",
            "Nørregade 7",
            "1165",
            "København K",
        ),
        Country::Finland => (
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

/// The default person of each country, then the Swedish scenario persons
/// (see [`super::scenario`]).
pub(crate) static PERSONS: [TestPerson; 14] = [
    person(
        "Astrid",
        "Lindqvist",
        "198704122384",
        Country::Sweden,
        (1987, 4, 12),
    ),
    person(
        "Ingrid",
        "Haugen",
        "18039040049",
        Country::Norway,
        (1990, 3, 18),
    ),
    person(
        "Mette",
        "Sørensen",
        "240991-1238",
        Country::Denmark,
        (1991, 9, 24),
    ),
    person(
        "Aino",
        "Virtanen",
        "230586-264K",
        Country::Finland,
        (1986, 5, 23),
    ),
    // Swedish scenario persons, in the order of `scenario::SCENARIOS`.
    person(
        "Johan",
        "Ek",
        "199003154730",
        Country::Sweden,
        (1990, 3, 15),
    ),
    person(
        "Karin",
        "Holm",
        "197511086121",
        Country::Sweden,
        (1975, 11, 8),
    ),
    person(
        "Sara",
        "Nyberg",
        "199206273840",
        Country::Sweden,
        (1992, 6, 27),
    ),
    person(
        "Lars",
        "Åberg",
        "196812031570",
        Country::Sweden,
        (1968, 12, 3),
    ),
    person(
        "Maria",
        "Lund",
        "198110218263",
        Country::Sweden,
        (1981, 10, 21),
    ),
    person(
        "Oskar",
        "Berg",
        "199505140492",
        Country::Sweden,
        (1995, 5, 14),
    ),
    person(
        "Anders",
        "Wikström",
        "197909303658",
        Country::Sweden,
        (1979, 9, 30),
    ),
    person(
        "Per",
        "Dahl",
        "198402292919",
        Country::Sweden,
        (1984, 2, 29),
    ),
    person(
        "Linnea",
        "Sjöberg",
        "199307175142",
        Country::Sweden,
        (1993, 7, 17),
    ),
    person(
        "Emma",
        "Strand",
        "198808087020",
        Country::Sweden,
        (1988, 8, 8),
    ),
];

/// The built-in test persons: first the default person of Sweden, Norway,
/// Denmark and Finland (whom sessions complete as unless a scenario says
/// otherwise), then the Swedish scenario persons of the test identities table.
///
/// ```
/// let persons = identisure::simulator::test_persons();
/// assert_eq!(persons[0].country(), "SE");
/// assert_eq!(persons[1].country(), "NO");
/// ```
pub fn test_persons() -> &'static [TestPerson] {
    &PERSONS
}

/// The default person for a country.
pub(crate) fn default_person(country: Country) -> &'static TestPerson {
    match country {
        Country::Sweden => &PERSONS[0],
        Country::Norway => &PERSONS[1],
        Country::Denmark => &PERSONS[2],
        Country::Finland => &PERSONS[3],
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
        .filter(|p| p.country == Country::Sweden)
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
    use super::super::ids;
    use super::*;

    #[test]
    fn every_built_in_number_is_valid_for_its_country() {
        for p in &PERSONS {
            let normalised = ids::normalise(p.country, p.ssn);
            assert_eq!(normalised.as_deref(), Ok(p.ssn), "{}", p.name());
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
            assert_eq!(p.country, Country::Sweden);
            assert_eq!(p.ssn, for_verify_code(code).ssn);
        }
    }

    #[test]
    fn birth_dates_match_the_numbers() {
        for p in &PERSONS {
            let (y, m, d) = p.birth;
            let digits: String = p.ssn.chars().filter(char::is_ascii_digit).collect();
            let expected = match p.country {
                Country::Sweden => format!("{y:04}{m:02}{d:02}"),
                _ => format!("{d:02}{m:02}{:02}", y % 100),
            };
            assert!(digits.starts_with(&expected), "{}", p.name());
        }
    }
}
