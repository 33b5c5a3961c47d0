//! Time values for the pure core: timestamps, durations and their human syntax.
//!
//! The core never asks what time it is: `now` is always passed in. The clocks that produce it
//! (wall time live, virtual time in replay) live in `crate::clock`.

pub use jiff::{SignedDuration, Timestamp};

/// The earliest instant flightdeck accepts in a file or a request: `1900-01-01T00:00:00Z`.
///
/// Arithmetic past the ends of a [`Timestamp`] (years -9999 to 9999) panics, and the alert
/// correlator counts time in `i64` nanoseconds, which hold only the years 1677 to 2262. Input
/// is therefore kept to the years 1900 to 2199 ([`EARLIEST`] to [`LATEST`]) and durations to at
/// most [`MAX_SPAN`], so that whatever the core adds to or subtracts from a time it was given
/// (SLO windows, noise horizons, silence and override lengths, the replay's tick) stays
/// representable, by a margin of more than half a century on each side.
pub const EARLIEST: Timestamp = Timestamp::constant(-2_208_988_800, 0);
/// The latest instant flightdeck accepts in a file or a request: `2199-12-31T23:59:59Z`.
pub const LATEST: Timestamp = Timestamp::constant(7_258_118_399, 0);
/// The longest duration that can separate two accepted instants (300 years less a second).
pub const MAX_SPAN: SignedDuration = SignedDuration::from_secs(7_258_118_399 + 2_208_988_800);

/// The longest SLO window flightdeck accepts: a year and a day (OpenSLO's `1Y` is 365 days).
pub const MAX_SLO_WINDOW: SignedDuration = SignedDuration::from_hours(366 * 24);

/// Whether `ts` lies within [`EARLIEST`] ..= [`LATEST`].
pub fn in_range(ts: Timestamp) -> bool {
    (EARLIEST..=LATEST).contains(&ts)
}

/// A time or a duration flightdeck cannot take, with what to write instead. The messages name
/// the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("{text:?} is not an RFC 3339 timestamp ({why}); write e.g. 2026-03-12T13:55:00Z")]
    NotATimestamp { text: String, why: String },
    #[error("{0:?} is out of range: flightdeck accepts timestamps from 1900 to 2199")]
    OutOfRange(String),
    /// `start + offset` leaves the accepted years.
    #[error(
        "{} from {start} is out of range: flightdeck accepts timestamps from 1900 to 2199",
        format_duration(*offset)
    )]
    OffsetOutOfRange {
        start: Timestamp,
        offset: SignedDuration,
    },
    #[error("{0:?} is not a duration (use e.g. 90s, 5m, 1h30m, 2d)")]
    NotADuration(String),
    #[error("{0:?} is longer than any two timestamps flightdeck accepts are apart (300 years)")]
    TooLong(String),
}

/// For callers that collect messages as text.
impl From<TimeError> for String {
    fn from(e: TimeError) -> String {
        e.to_string()
    }
}

/// Parses an RFC 3339 timestamp (`2026-03-12T13:55:00Z`, any offset, up to nine fractional
/// digits) within [`EARLIEST`] ..= [`LATEST`]. The message says whether the text is not a
/// timestamp at all or a timestamp out of range.
pub fn parse_timestamp(text: &str) -> Result<Timestamp, TimeError> {
    let t = text.trim();
    let year_out = year_of(t).is_some_and(|y| !(1900..=2199).contains(&y));
    match t.parse::<Timestamp>() {
        Ok(ts) if in_range(ts) => Ok(ts),
        Ok(_) => Err(TimeError::OutOfRange(t.to_string())),
        Err(_) if year_out => Err(TimeError::OutOfRange(t.to_string())),
        Err(e) => Err(TimeError::NotATimestamp {
            text: t.to_string(),
            why: e.to_string(),
        }),
    }
}

/// The year of text in the shape of an RFC 3339 timestamp (`2026-…T…`, `+010000-…T…`), even a
/// year no timestamp can hold.
fn year_of(t: &str) -> Option<i64> {
    let (sign, body) = match t.as_bytes().first()? {
        b'-' => (-1, &t[1..]),
        b'+' => (1, &t[1..]),
        _ => (1, t),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 4 || !body[digits..].starts_with('-') || !body.contains(['T', 't', ' ']) {
        return None;
    }
    body[..digits].parse::<i64>().ok().map(|y| sign * y)
}

/// `start + d`, or a message when the result would leave [`EARLIEST`] ..= [`LATEST`].
pub fn checked_offset(start: Timestamp, d: SignedDuration) -> Result<Timestamp, TimeError> {
    match start.checked_add(d) {
        Ok(t) if in_range(t) => Ok(t),
        _ => Err(TimeError::OffsetOutOfRange { start, offset: d }),
    }
}

/// `start + d`, clamped to the instants a [`Timestamp`] can hold (for limits that are capped
/// anyway, such as a replay's `--until`).
pub fn saturating_offset(start: Timestamp, d: SignedDuration) -> Timestamp {
    start.checked_add(d).unwrap_or(if d.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// Parses `90s`, `5m`, `1h30m`, `2d`, `1w`, `-30d` (units s, m, h, d, w; chained; optional sign).
pub fn parse_duration(text: &str) -> Result<SignedDuration, TimeError> {
    let s = text.trim();
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let bad = || TimeError::NotADuration(text.to_string());
    if body.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in body.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        if digits.is_empty() {
            return Err(bad());
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        // A bare number is ambiguous; refuse rather than guess the unit.
        return Err(bad());
    }
    if total > MAX_SPAN.as_secs() {
        return Err(TimeError::TooLong(text.to_string()));
    }
    Ok(SignedDuration::from_secs(if negative {
        -total
    } else {
        total
    }))
}

/// Compact human form: `42s`, `5m`, `1h05m`, `3d4h`, `-2m`.
pub fn format_duration(d: SignedDuration) -> String {
    let secs = d.as_secs();
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (days, hours, mins, rest) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60, s % 60);
    let body = if days > 0 {
        if hours > 0 {
            format!("{days}d{hours}h")
        } else {
            format!("{days}d")
        }
    } else if hours > 0 {
        format!("{hours}h{mins:02}m")
    } else if mins > 0 {
        if rest > 0 && mins < 10 {
            format!("{mins}m{rest:02}s")
        } else {
            format!("{mins}m")
        }
    } else {
        format!("{rest}s")
    };
    format!("{sign}{body}")
}

/// `HH:MM:SS` in UTC, the clock shown in the header and journal.
pub fn clock_hms(ts: Timestamp) -> String {
    let z = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    format!("{:02}:{:02}:{:02}", z.hour(), z.minute(), z.second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chained_and_negative_durations() {
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5_400);
        assert_eq!(parse_duration("-30d").unwrap().as_secs(), -2_592_000);
        assert_eq!(parse_duration("2w").unwrap().as_secs(), 1_209_600);
        assert_eq!(parse_duration(" 5m ").unwrap().as_secs(), 300);
    }

    #[test]
    fn refuses_ambiguous_or_malformed_durations() {
        for bad in ["", "12", "12x", "m", "-", "1h30", "5M"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn the_accepted_range_is_the_years_1900_to_2199() {
        assert_eq!(
            EARLIEST,
            "1900-01-01T00:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(LATEST, "2199-12-31T23:59:59Z".parse::<Timestamp>().unwrap());
        assert_eq!(MAX_SPAN, LATEST.duration_since(EARLIEST));
        assert!(parse_timestamp("1900-01-01T00:00:00Z").is_ok());
        assert!(parse_timestamp("2199-12-31T23:59:59.999Z").is_err());
        assert!(parse_timestamp("2026-03-12T13:55:00+01:00").is_ok());
        for out in [
            "0001-01-01T00:00:01Z",
            "2200-01-01T00:00:00Z",
            "1899-12-31T23:59:59Z",
            "9999-12-30T21:00:00Z",
            "10000-01-01T00:00:00Z",
            "+010000-01-01T00:00:00Z",
            "-000001-01-01T00:00:00Z",
            "0000-12-31T23:59:59Z",
        ] {
            let e = parse_timestamp(out).unwrap_err();
            assert!(matches!(e, TimeError::OutOfRange(_)), "{out}: {e:?}");
            assert!(e.to_string().contains("out of range"), "{out}: {e}");
        }
        for bad in ["yesterday", "2026-13-01T00:00:00Z", "2026-03-12"] {
            let e = parse_timestamp(bad).unwrap_err();
            assert!(matches!(e, TimeError::NotATimestamp { .. }), "{bad}: {e:?}");
            assert!(
                e.to_string().contains("not an RFC 3339 timestamp"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn offsets_are_checked_or_saturate() {
        let start = parse_timestamp("2199-12-30T21:00:00Z").unwrap();
        assert!(checked_offset(start, SignedDuration::from_hours(1)).is_ok());
        let e = checked_offset(start, SignedDuration::from_hours(24 * 7)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "7d from 2199-12-30T21:00:00Z is out of range: \
             flightdeck accepts timestamps from 1900 to 2199"
        );
        let long = parse_duration("15000w").unwrap();
        assert!(checked_offset(start, long).is_err());
        assert!(checked_offset(EARLIEST, -long).is_err());
        let huge = SignedDuration::from_secs(i64::MAX / 2);
        assert_eq!(saturating_offset(start, huge), Timestamp::MAX);
        assert_eq!(saturating_offset(EARLIEST, -huge), Timestamp::MIN);
        assert!(parse_duration("15653w").is_ok());
        assert!(parse_duration("15654w").is_err());
        for long in ["1000000000w", "-1000000000w"] {
            let e = parse_duration(long).unwrap_err();
            assert_eq!(e, TimeError::TooLong(long.to_string()));
            assert!(e.to_string().contains("longer"), "{e}");
        }
        assert_eq!(
            parse_duration("5x").unwrap_err().to_string(),
            "\"5x\" is not a duration (use e.g. 90s, 5m, 1h30m, 2d)"
        );
    }

    #[test]
    fn formats_compactly() {
        let f = |s| format_duration(SignedDuration::from_secs(s));
        assert_eq!(f(42), "42s");
        assert_eq!(f(150), "2m30s");
        assert_eq!(f(900), "15m");
        assert_eq!(f(3_900), "1h05m");
        assert_eq!(f(2 * 86_400 + 3_600), "2d1h");
        assert_eq!(f(-120), "-2m");
    }
}
