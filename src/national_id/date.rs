//! A calendar date, just enough for birth dates (no time-zone or clock crate).

use std::fmt;

/// A valid proleptic Gregorian calendar date.
///
/// ```
/// use identisure::national_id::Date;
///
/// let d = Date::new(2000, 2, 29).unwrap();
/// assert_eq!((d.year(), d.month(), d.day()), (2000, 2, 29));
/// assert_eq!(d.to_string(), "2000-02-29");
/// assert!(Date::new(1900, 2, 29).is_none());
/// assert!(Date::new(2024, 13, 1).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order gives the chronological `Ord`.
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, or `None` when it does not exist.
    ///
    /// ```
    /// assert!(identisure::national_id::Date::new(2023, 4, 31).is_none());
    /// ```
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// Today's date in UTC, from the system clock.
    ///
    /// ```
    /// assert!(identisure::national_id::Date::today().year() >= 2025);
    /// ```
    pub fn today() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The date `days` days after 1970-01-01 (clamped to years 0..=65535).
    ///
    /// ```
    /// use identisure::national_id::Date;
    /// assert_eq!(Date::from_days_since_epoch(0), Date::new(1970, 1, 1).unwrap());
    /// assert_eq!(Date::from_days_since_epoch(11_016), Date::new(2000, 2, 29).unwrap());
    /// ```
    pub fn from_days_since_epoch(days: i64) -> Self {
        // Howard Hinnant's civil-from-days algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year: year.clamp(0, i64::from(u16::MAX)) as u16,
            month,
            day,
        }
    }

    /// The year.
    ///
    /// ```
    /// assert_eq!(identisure::national_id::Date::new(1985, 6, 1).unwrap().year(), 1985);
    /// ```
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1..=12.
    ///
    /// ```
    /// assert_eq!(identisure::national_id::Date::new(1985, 6, 1).unwrap().month(), 6);
    /// ```
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1..=31.
    ///
    /// ```
    /// assert_eq!(identisure::national_id::Date::new(1985, 6, 1).unwrap().day(), 1);
    /// ```
    pub fn day(self) -> u8 {
        self.day
    }
}

/// ISO 8601: `YYYY-MM-DD`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

pub(crate) fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_conversion_round_trips_through_known_dates() {
        assert_eq!(
            Date::from_days_since_epoch(-1),
            Date::new(1969, 12, 31).unwrap()
        );
        assert_eq!(
            Date::from_days_since_epoch(19_723),
            Date::new(2024, 1, 1).unwrap()
        );
        assert_eq!(
            Date::from_days_since_epoch(-25_567),
            Date::new(1900, 1, 1).unwrap()
        );
        // Consecutive days advance by exactly one valid date.
        let mut prev = Date::from_days_since_epoch(-80_000);
        for d in -79_999..30_000 {
            let next = Date::from_days_since_epoch(d);
            assert!(next > prev);
            assert!(Date::new(next.year, next.month, next.day).is_some());
            prev = next;
        }
    }
}
