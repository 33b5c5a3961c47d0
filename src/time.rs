//! Time values for the pure core: timestamps, durations and their human syntax.
//!
//! The core never asks what time it is: `now` is always passed in. The clocks that produce it
//! (wall time live, virtual time in replay) live in `crate::clock`.

pub use jiff::{SignedDuration, Timestamp};

/// Parses `90s`, `5m`, `1h30m`, `2d`, `1w`, `-30d` (units s, m, h, d, w; chained; optional sign).
pub fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let s = text.trim();
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let bad = || format!("{text:?} is not a duration (use e.g. 90s, 5m, 1h30m, 2d)");
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
