//! The files' statistics, folded from the groups the database counts.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// `GET /api/v1/files/statistics`: the original's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileStats {
    pub total: i64,
    pub total_size: i64,
    pub total_size_bytes: i64,
    pub total_size_mb: f64,
    pub total_downloads: i64,
    pub average_size_mb: f64,
    pub downloads_per_file: f64,
    pub by_mime_type: BTreeMap<String, i64>,
    pub by_uploader: BTreeMap<String, i64>,
    pub by_visibility: Visibility,
    pub size_distribution: SizeDistribution,
    pub storage_efficiency: StorageEfficiency,
    /// Not serialized here: `/files/stats` shows it.
    #[serde(skip)]
    pub by_idea: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Visibility {
    pub public: CountSize,
    pub private: CountSize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CountSize {
    pub count: i64,
    pub size: i64,
}

/// Files per size bucket: small < 1 MiB ≤ medium < 10 MiB ≤ large < 100 MiB ≤ xlarge.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SizeDistribution {
    pub small: i64,
    pub medium: i64,
    pub large: i64,
    pub xlarge: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StorageEfficiency {
    pub small_files_percentage: i64,
    pub large_files_percentage: i64,
}

/// One group of files with the same type, uploader, visibility, idea and size bucket.
#[derive(Debug, Clone)]
pub struct FileGroup {
    pub mime_type: String,
    pub uploaded_by: String,
    pub is_public: bool,
    pub idea_id: Option<Uuid>,
    pub bucket: String,
    pub count: i64,
    pub size: i64,
    pub downloads: i64,
}

const MIB: f64 = 1024.0 * 1024.0;

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl FileStats {
    /// The figures of the groups the database counted.
    pub fn from_groups(groups: &[FileGroup]) -> Self {
        let mut s = Self::default();
        for g in groups {
            s.total += g.count;
            s.total_size += g.size;
            s.total_downloads += g.downloads;
            *s.by_mime_type.entry(g.mime_type.clone()).or_default() += g.count;
            *s.by_uploader.entry(g.uploaded_by.clone()).or_default() += g.count;
            if let Some(idea) = g.idea_id {
                *s.by_idea.entry(idea.to_string()).or_default() += g.count;
            }
            let side = if g.is_public {
                &mut s.by_visibility.public
            } else {
                &mut s.by_visibility.private
            };
            side.count += g.count;
            side.size += g.size;
            let bucket = match g.bucket.as_str() {
                "small" => &mut s.size_distribution.small,
                "medium" => &mut s.size_distribution.medium,
                "large" => &mut s.size_distribution.large,
                _ => &mut s.size_distribution.xlarge,
            };
            *bucket += g.count;
        }
        s.total_size_bytes = s.total_size;
        s.total_size_mb = round2(s.total_size as f64 / MIB);
        if s.total > 0 {
            let total = s.total as f64;
            s.average_size_mb = round2(s.total_size as f64 / MIB / total);
            s.downloads_per_file = round2(s.total_downloads as f64 / total);
            let d = &s.size_distribution;
            s.storage_efficiency = StorageEfficiency {
                small_files_percentage: (d.small as f64 / total * 100.0).round() as i64,
                large_files_percentage: ((d.large + d.xlarge) as f64 / total * 100.0).round()
                    as i64,
            };
        }
        s
    }

    /// `GET /api/v1/files/stats`: the keys the dashboard reads.
    pub fn summary(&self) -> Value {
        serde_json::json!({
            "total": self.total,
            "total_size_bytes": self.total_size_bytes,
            "total_size_mb": self.total_size_mb,
            "by_type": self.by_mime_type,
            "by_idea": self.by_idea,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_fold_groups() {
        let group = |bucket: &str, public: bool, count, size| FileGroup {
            mime_type: "text/plain".into(),
            uploaded_by: "ana".into(),
            is_public: public,
            idea_id: None,
            bucket: bucket.into(),
            count,
            size,
            downloads: 3,
        };
        let s = FileStats::from_groups(&[
            group("small", true, 3, 3 * 1024),
            group("xlarge", false, 1, 200 * 1024 * 1024),
        ]);
        assert_eq!(s.total, 4);
        assert_eq!(s.size_distribution.small, 3);
        assert_eq!(s.storage_efficiency.small_files_percentage, 75);
        assert_eq!(s.storage_efficiency.large_files_percentage, 25);
        assert_eq!(s.by_visibility.private.count, 1);
        assert_eq!(s.downloads_per_file, 1.5);
        assert_eq!(s.total_size_mb, 200.0);
    }
}
