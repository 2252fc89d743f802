//! The health score of a run: front matter 40 %, links 30 %, duplicates 30 %, rounded to
//! one decimal; the grade and status at 90/80/70/60; the trend over the last points.

use serde::Serialize;

use super::Totals;

/// Weights of the three part scores.
const FRONTMATTER_WEIGHT: f64 = 0.4;
const LINKS_WEIGHT: f64 = 0.3;
const DUPLICATES_WEIGHT: f64 = 0.3;
/// A trend moves only when the score moved by more than this many points.
const TREND_THRESHOLD: f64 = 5.0;
/// The trend looks at this many of the newest points.
const TREND_POINTS: usize = 7;

string_enum!(
    Grade {
        A = "A",
        B = "B",
        C = "C",
        D = "D",
        F = "F",
    }
);

string_enum!(
    /// Lower-case, as the dashboard's resolution has it; `no_data` before any run.
    Status {
        Excellent = "excellent",
        Good = "good",
        Fair = "fair",
        Poor = "poor",
        Critical = "critical",
        NoData = "no_data",
    }
);

string_enum!(
    Trend {
        Improving = "improving",
        Declining = "declining",
        Stable = "stable",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    pub health_score: f64,
    pub frontmatter: f64,
    pub links: f64,
    pub duplicates: f64,
    /// Percentage of checked links that resolve; 100 without links.
    pub links_success_rate: f64,
    pub grade: Grade,
    pub status: Status,
}

impl Score {
    /// An audit that found no pages scores 0: missing documentation is the worst state.
    pub fn of(t: &Totals) -> Self {
        let frontmatter = percent(t.frontmatter_complete, t.total_files, 0.0);
        let links_success_rate = percent(t.links_checked - t.links_broken, t.links_checked, 100.0);
        let duplicates = 100.0 - (2.0 * t.duplicate_groups as f64).min(50.0);
        let weighted = FRONTMATTER_WEIGHT * frontmatter
            + LINKS_WEIGHT * links_success_rate
            + DUPLICATES_WEIGHT * duplicates;
        let health_score = if t.total_files == 0 {
            0.0
        } else {
            round1(weighted)
        };
        Self {
            health_score,
            frontmatter: round1(frontmatter),
            links: round1(links_success_rate),
            duplicates: round1(duplicates),
            links_success_rate: round1(links_success_rate),
            grade: grade(health_score),
            status: status(health_score),
        }
    }
}

pub fn grade(score: f64) -> Grade {
    match score {
        s if s >= 90.0 => Grade::A,
        s if s >= 80.0 => Grade::B,
        s if s >= 70.0 => Grade::C,
        s if s >= 60.0 => Grade::D,
        _ => Grade::F,
    }
}

pub fn status(score: f64) -> Status {
    match grade(score) {
        Grade::A => Status::Excellent,
        Grade::B => Status::Good,
        Grade::C => Status::Fair,
        Grade::D => Status::Poor,
        Grade::F => Status::Critical,
    }
}

/// Over the newest [`TREND_POINTS`] scores (oldest first): their last minus their first.
pub fn trend(scores: &[f64]) -> Trend {
    let recent = &scores[scores.len().saturating_sub(TREND_POINTS)..];
    let delta = match (recent.first(), recent.last()) {
        (Some(first), Some(last)) => last - first,
        _ => 0.0,
    };
    if delta > TREND_THRESHOLD {
        Trend::Improving
    } else if delta < -TREND_THRESHOLD {
        Trend::Declining
    } else {
        Trend::Stable
    }
}

/// `part / whole` in percent, `empty` when `whole` is 0, clamped to 0..=100.
pub fn percent(part: i64, whole: i64, empty: f64) -> f64 {
    if whole <= 0 {
        return empty;
    }
    (part as f64 / whole as f64 * 100.0).clamp(0.0, 100.0)
}

/// One decimal; 0 for anything not finite.
pub fn round1(x: f64) -> f64 {
    let r = (x * 10.0).round() / 10.0;
    if r.is_finite() { r } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_example_scores_88_4_good() {
        let t = Totals {
            total_files: 10,
            frontmatter_complete: 8,
            links_checked: 10,
            links_broken: 1,
            duplicate_groups: 1,
            ..Totals::default()
        };
        let s = Score::of(&t);
        assert_eq!(s.health_score, 88.4);
        assert_eq!((s.grade, s.status), (Grade::B, Status::Good));
        assert_eq!(s.links_success_rate, 90.0);
    }

    #[test]
    fn thresholds_and_edges() {
        assert_eq!(grade(90.0), Grade::A);
        assert_eq!(grade(89.9), Grade::B);
        assert_eq!(status(60.0), Status::Poor);
        assert_eq!(status(59.9), Status::Critical);
        let none = Score::of(&Totals::default());
        assert_eq!(none.health_score, 0.0);
        assert_eq!(none.links_success_rate, 100.0);
        let many_dups = Totals {
            total_files: 4,
            frontmatter_complete: 4,
            duplicate_groups: 40,
            ..Totals::default()
        };
        assert_eq!(Score::of(&many_dups).duplicates, 50.0);
    }

    #[test]
    fn trend_over_the_last_seven_points() {
        assert_eq!(trend(&[]), Trend::Stable);
        assert_eq!(trend(&[50.0, 56.0]), Trend::Improving);
        assert_eq!(trend(&[50.0, 44.0]), Trend::Declining);
        assert_eq!(trend(&[50.0, 55.0]), Trend::Stable);
        // The first of nine points is outside the window.
        assert_eq!(
            trend(&[0.0, 80.0, 80.0, 80.0, 80.0, 80.0, 80.0, 80.0, 81.0]),
            Trend::Stable
        );
    }
}
