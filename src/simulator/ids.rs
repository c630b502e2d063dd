//! Validation of the national identity numbers the simulator receives: the
//! real service refuses a malformed number with 400, and so does this one.

use super::clock::Date;
use super::people::Country;

/// Checks `input` as a number of `country` and returns its canonical form
/// (SE: 12 digits; NO: 11 digits; DK: `DDMMYY-SSSS`; FI: upper-case HETU),
/// or the rule it breaks.
pub(crate) fn normalise(country: Country, input: &str) -> Result<String, &'static str> {
    match country {
        Country::Sweden => swedish(input),
        Country::Norway => norwegian(input),
        Country::Denmark => danish(input),
        Country::Finland => finnish(input),
    }
}

fn swedish(input: &str) -> Result<String, &'static str> {
    const RULE: &str =
        "must be a Swedish personal number (YYYYMMDDNNNN or YYMMDD-NNNN) with a valid check digit";
    let plus = input.contains('+');
    let digits: String = input.chars().filter(|c| !matches!(c, '-' | '+')).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(RULE);
    }
    let full = match digits.len() {
        12 => digits,
        10 => {
            let yy: i32 = digits[..2].parse().map_err(|_| RULE)?;
            let this_year = Date::today().year;
            let mut year = this_year - (this_year - yy).rem_euclid(100);
            if plus {
                year -= 100;
            }
            format!("{year:04}{}", &digits[2..])
        }
        _ => return Err(RULE),
    };
    let month: u32 = full[4..6].parse().map_err(|_| RULE)?;
    let mut day: u32 = full[6..8].parse().map_err(|_| RULE)?;
    if day > 60 {
        day -= 60; // samordningsnummer
    }
    if !(1..=12).contains(&month) || day == 0 || day > 31 {
        return Err(RULE);
    }
    if !luhn(&full[2..]) {
        return Err(RULE);
    }
    Ok(full)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0') * if i % 2 == 1 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    sum.is_multiple_of(10)
}

fn norwegian(input: &str) -> Result<String, &'static str> {
    const RULE: &str = "must be a Norwegian fødselsnummer (11 digits) with valid check digits";
    let d: Vec<u32> = input
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()
        .ok_or(RULE)?;
    if d.len() != 11 {
        return Err(RULE);
    }
    let check = |weights: &[u32]| -> Option<u32> {
        let sum: u32 = weights.iter().zip(&d).map(|(w, x)| w * x).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    let k1 = check(&[3, 7, 6, 1, 8, 9, 4, 5, 2]);
    let k2 = check(&[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
    if k1 != Some(d[9]) || k2 != Some(d[10]) {
        return Err(RULE);
    }
    Ok(input.to_string())
}

fn danish(input: &str) -> Result<String, &'static str> {
    const RULE: &str = "must be a Danish CPR number (DDMMYY-SSSS) with a valid date";
    let digits: String = input.chars().filter(|&c| c != '-').collect();
    if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(RULE);
    }
    let day: u32 = digits[..2].parse().map_err(|_| RULE)?;
    let month: u32 = digits[2..4].parse().map_err(|_| RULE)?;
    if !(1..=12).contains(&month) || day == 0 || day > 31 {
        return Err(RULE);
    }
    Ok(format!("{}-{}", &digits[..6], &digits[6..]))
}

fn finnish(input: &str) -> Result<String, &'static str> {
    const RULE: &str = "must be a Finnish HETU (DDMMYYCNNNX) with a valid check character";
    const CHECK: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    let upper = input.to_ascii_uppercase();
    let b = upper.as_bytes();
    if !upper.is_ascii() || b.len() != 11 || !b"+-YXWVUABCDEF".contains(&b[6]) {
        return Err(RULE);
    }
    let number = format!("{}{}", &upper[..6], &upper[7..10]);
    let value: u64 = number.parse().map_err(|_| RULE)?;
    if !number.bytes().all(|c| c.is_ascii_digit()) {
        return Err(RULE);
    }
    let day: u32 = upper[..2].parse().map_err(|_| RULE)?;
    let month: u32 = upper[2..4].parse().map_err(|_| RULE)?;
    if !(1..=12).contains(&month) || day == 0 || day > 31 || CHECK[(value % 31) as usize] != b[10] {
        return Err(RULE);
    }
    Ok(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_numbers() {
        assert_eq!(
            normalise(Country::Sweden, "19870412-2384").unwrap(),
            "198704122384"
        );
        assert_eq!(
            normalise(Country::Sweden, "870412-2384").unwrap(),
            "198704122384"
        );
        assert!(normalise(Country::Sweden, "198704122385").is_err());
        assert!(normalise(Country::Sweden, "19871312238").is_err());
        assert!(normalise(Country::Sweden, "abc").is_err());
    }

    #[test]
    fn norwegian_numbers() {
        assert!(normalise(Country::Norway, "20123931743").is_ok());
        assert!(normalise(Country::Norway, "04081138481").is_ok());
        assert!(normalise(Country::Norway, "04081138482").is_err());
        assert!(normalise(Country::Norway, "0408113848").is_err());
    }

    #[test]
    fn danish_and_finnish_numbers() {
        assert_eq!(
            normalise(Country::Denmark, "2409911238").unwrap(),
            "240991-1238"
        );
        assert!(normalise(Country::Denmark, "3213911238").is_err());
        assert_eq!(
            normalise(Country::Finland, "131052-308t").unwrap(),
            "131052-308T"
        );
        assert!(normalise(Country::Finland, "131052-308U").is_err());
        assert!(normalise(Country::Finland, "131052*308T").is_err());
        assert!(normalise(Country::Finland, "13105ä-308").is_err());
        assert!(normalise(Country::Sweden, "19870412238ä").is_err());
    }
}
