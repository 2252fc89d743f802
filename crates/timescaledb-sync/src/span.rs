//! The durations `reconcile` takes (`--since 7d`, `--bucket 1h`) and the window it checks.
//!
//! Buckets are a fixed grid from the epoch (UTC). Only sizes that divide the next unit up
//! are allowed (`15m`, `2h`, `1d`, not `7m` or `2d`): on those, QuestDB's
//! `SAMPLE BY … ALIGN TO CALENDAR` and PostgreSQL's epoch arithmetic cut the same buckets,
//! so the two sides' counts can be compared bucket by bucket.

use std::fmt;

const SECOND: i64 = 1_000_000;

/// A duration written `<n><s|m|h|d>`, kept in µs with its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub count: i64,
    pub unit: char,
}

impl Span {
    pub fn micros(self) -> i64 {
        self.count.saturating_mul(unit_micros(self.unit))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit)
    }
}

fn unit_micros(unit: char) -> i64 {
    match unit {
        's' => SECOND,
        'm' => 60 * SECOND,
        'h' => 3_600 * SECOND,
        _ => 86_400 * SECOND,
    }
}

/// `--since`: `1` to `3650` days' worth, in s, m, h or d.
pub fn parse_since(raw: &str) -> Result<Span, String> {
    let span = parse(raw)?;
    if span.micros() > 3_650 * 86_400 * SECOND {
        return Err("at most 3650d".into());
    }
    Ok(span)
}

/// `--bucket`: a size that divides the next unit up (`Ns`/`Nm` with N dividing 60, `Nh`
/// with N dividing 24, or `1d`), so every bucket boundary is a calendar boundary.
pub fn parse_bucket(raw: &str) -> Result<Span, String> {
    let span = parse(raw)?;
    let fits = match span.unit {
        's' | 'm' => 60 % span.count == 0,
        'h' => 24 % span.count == 0,
        _ => span.count == 1,
    };
    if fits {
        Ok(span)
    } else {
        Err("a size dividing the next unit up: Ns or Nm with N dividing 60, Nh with N dividing 24, or 1d".into())
    }
}

fn parse(raw: &str) -> Result<Span, String> {
    let raw = raw.trim();
    let invalid = || format!("{raw:?} is not a duration such as 90s, 30m, 1h or 7d");
    let unit = raw.chars().last().ok_or_else(invalid)?;
    let digits = &raw[..raw.len() - unit.len_utf8()];
    let count = digits
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| digits.parse::<i64>().ok())
        .flatten()
        .filter(|n| *n >= 1);
    match (count, unit) {
        (Some(count), 's' | 'm' | 'h' | 'd') => Ok(Span { count, unit }),
        _ => Err(invalid()),
    }
}

/// The buckets `reconcile` compares: `[from, until)`, both on the bucket grid, in µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub until: i64,
    pub bucket: i64,
}

impl Window {
    /// From `since` ago (or just after the target's retention cutoff, whichever is later)
    /// to the last bucket that ends before `watermark - overlap`: the next run re-reads
    /// everything after that, so those rows are not yet anyone's gap. `None` when the
    /// stream has no watermark (its first run copies everything).
    pub fn new(
        now: i64,
        since: i64,
        bucket: i64,
        watermark: Option<i64>,
        overlap: i64,
        retention_cutoff: Option<i64>,
    ) -> Option<Self> {
        let watermark = watermark?;
        let mut from = floor(now.saturating_sub(since), bucket);
        if let Some(cutoff) = retention_cutoff {
            // One bucket of margin: a retention job running meanwhile must not drop
            // chunks this reconcile is re-filling.
            from = from.max(ceil(cutoff, bucket).saturating_add(bucket));
        }
        let until = floor(watermark.saturating_sub(overlap), bucket);
        Some(Self {
            from: from.max(0),
            until: until.max(from).max(0),
            bucket,
        })
    }

    pub fn buckets(&self) -> i64 {
        (self.until - self.from) / self.bucket
    }
}

pub fn floor(micros: i64, bucket: i64) -> i64 {
    micros.div_euclid(bucket) * bucket
}

fn ceil(micros: i64, bucket: i64) -> i64 {
    floor(micros.saturating_add(bucket - 1), bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600 * SECOND;

    #[test]
    fn durations_and_buckets_parse_strictly() {
        assert_eq!(parse_since("7d").map(Span::micros), Ok(7 * 24 * H));
        assert_eq!(parse_since("90m").map(|s| s.to_string()), Ok("90m".into()));
        for bad in [
            "", "d", "0d", "-1h", "+1h", "7", "7w", "1.5h", "3651d", "7 d", "7д",
        ] {
            assert!(parse_since(bad).is_err(), "{bad:?}");
        }
        for good in ["1s", "15s", "5m", "30m", "1h", "2h", "6h", "12h", "1d"] {
            assert!(parse_bucket(good).is_ok(), "{good:?}");
        }
        for bad in ["7m", "90m", "5h", "2d", "45s"] {
            assert!(parse_bucket(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_window_stops_before_what_the_next_run_rereads() {
        let now = 1_000 * H + 1234;
        let w = Window::new(now, 24 * H, H, Some(now - 3 * H), 600 * SECOND, None).expect("window");
        // From 24 h ago (floored), to the last full hour before watermark - overlap.
        assert_eq!((w.from, w.until, w.buckets()), (976 * H, 996 * H, 20));
        assert_eq!(
            Window::new(now, 24 * H, H, None, 0, None),
            None,
            "no watermark: nothing copied yet"
        );
        // A watermark older than `since`: an empty window, never a negative one.
        let w = Window::new(now, H, H, Some(now - 48 * H), 0, None).expect("window");
        assert_eq!(w.buckets(), 0);
    }

    #[test]
    fn the_window_never_reaches_past_the_retention_cutoff() {
        let now = 1_000 * H;
        // Retention keeps 2 days and a half: start a full bucket after its cutoff.
        let cutoff = now - 60 * H + 1;
        let w = Window::new(now, 7 * 24 * H, H, Some(now), 0, Some(cutoff)).expect("window");
        assert_eq!(w.from, 942 * H);
        assert!(w.from > cutoff);
        // A retention longer than `since` changes nothing.
        let w = Window::new(now, 24 * H, H, Some(now), 0, Some(now - 90 * 24 * H)).expect("window");
        assert_eq!(w.from, 976 * H);
    }
}
