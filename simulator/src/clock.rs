//! Wall-clock formatting (RFC 3339 and calendar dates) without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Date {
    pub(crate) year: i32,
    pub(crate) month: u32,
    pub(crate) day: u32,
}

impl Date {
    pub(crate) fn today() -> Self {
        Self::of(SystemTime::now())
    }

    pub(crate) fn of(t: SystemTime) -> Self {
        let secs = unix_seconds(t);
        civil_from_days(secs.div_euclid(86_400))
    }

    /// Whole years from `birth` (y, m, d) to this date.
    pub(crate) fn years_since(self, birth: (i32, u32, u32)) -> u32 {
        let (y, m, d) = birth;
        let mut years = self.year - y;
        if (self.month, self.day) < (m, d) {
            years -= 1;
        }
        years.max(0) as u32
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Days since 1970-01-01 to a civil date: the calendar arithmetic lives in
/// one place, `identisure::national_id::Date`.
fn civil_from_days(days: i64) -> Date {
    let d = identisure::national_id::Date::from_days_since_epoch(days);
    Date {
        year: i32::from(d.year()),
        month: u32::from(d.month()),
        day: u32::from(d.day()),
    }
}

/// `2026-11-27T09:58:12.123Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = unix_seconds(t);
    let millis = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_millis())
        .unwrap_or(0);
    let date = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_164_800_250); // 2024-02-29
        assert_eq!(rfc3339(t), "2024-02-29T00:00:00.250Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_868_799); // 2000-02-29 23:59:59
        assert_eq!(rfc3339(t), "2000-02-29T23:59:59.000Z");
    }

    #[test]
    fn ages_count_whole_years() {
        let d = Date {
            year: 2026,
            month: 4,
            day: 11,
        };
        assert_eq!(d.years_since((1987, 4, 12)), 38);
        assert_eq!(d.years_since((1987, 4, 11)), 39);
    }
}
