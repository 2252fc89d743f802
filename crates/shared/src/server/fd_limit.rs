//! The process's file-descriptor limit and each listener's share of it: a connection
//! cap above what the process may open would turn a flood of clients into failed
//! accepts, database connections and log writes.

/// Descriptors kept for everything that is not a client connection: database pools,
/// outbound HTTP clients, files, the listeners themselves.
const RESERVE: u64 = 128;

/// The most connections one listener may hold open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    per_listener: usize,
}

impl FdBudget {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit where the system lets it, logs
    /// the figures, and divides what is left after the reserve among `listeners`.
    pub fn raise(listeners: usize) -> Self {
        let before = rlimit::Resource::NOFILE.get().ok();
        let soft = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(soft) => soft,
            Err(e) => {
                tracing::warn!("cannot raise the file-descriptor limit: {e}");
                before.map_or(1024, |(soft, _)| soft)
            }
        };
        let budget = Self::of(soft, listeners);
        tracing::info!(
            soft_before = before.map_or(0, |(soft, _)| soft),
            soft,
            hard = before.map_or(0, |(_, hard)| hard),
            listeners,
            connections_per_listener = budget.per_listener,
            "file-descriptor limit"
        );
        budget
    }

    /// The share of `soft` descriptors for each of `listeners`.
    pub fn of(soft: u64, listeners: usize) -> Self {
        let listeners = u64::try_from(listeners.max(1)).unwrap_or(u64::MAX);
        let share = soft.saturating_sub(RESERVE) / listeners;
        Self {
            per_listener: usize::try_from(share).unwrap_or(usize::MAX).max(1),
        }
    }

    /// No share to respect (tests that serve on their own).
    pub fn unlimited() -> Self {
        Self {
            per_listener: usize::MAX,
        }
    }

    /// The connection cap: the configured one, within this share.
    pub fn cap(self, configured: usize) -> usize {
        configured.min(self.per_listener).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_the_configured_one_within_the_listeners_share() {
        assert_eq!(FdBudget::of(1_048_576, 2).cap(4096), 4096);
        assert_eq!(FdBudget::of(1024, 1).cap(4096), 896);
        assert_eq!(FdBudget::of(1024, 2).cap(4096), 448);
        assert_eq!(FdBudget::of(100, 2).cap(4096), 1, "never zero");
        assert_eq!(FdBudget::unlimited().cap(10), 10);
    }
}
