//! Transactions PostgreSQL aborts to let another finish. Two writers that lock the same
//! rows in opposite orders (a category rename and an item write, two crossed renames)
//! deadlock; PostgreSQL breaks the cycle by rolling one back with 40P01, and its manual
//! asks the application to run that transaction again. That is what [`retry_conflicts`]
//! does, so a client never sees the collision as an error.

/// How often one write is tried in all. A retry waits for the survivor's locks and then
/// normally passes; a third collision in a row means the contention is real.
pub const CONFLICT_ATTEMPTS: u32 = 3;

/// True when the database rolled the transaction back so another could go on: a deadlock
/// (40P01) or a serialization failure (40001). Running it again is expected to pass.
pub fn is_conflict(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01" || code == "40001")
}

/// Runs `work` until it succeeds, fails otherwise, or has collided [`CONFLICT_ATTEMPTS`]
/// times; `cause` finds the database error inside the caller's error type. Each attempt
/// must be a whole transaction, begun and ended inside `work`.
pub async fn retry_conflicts<T, E, F>(
    operation: &str,
    mut work: impl FnMut() -> F,
    cause: impl Fn(&E) -> Option<&sqlx::Error>,
) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match work().await {
            Err(error) if attempt < CONFLICT_ATTEMPTS && cause(&error).is_some_and(is_conflict) => {
                // Only this side was rolled back: the next attempt queues behind the
                // survivor's locks instead of crossing them again.
                tracing::info!(
                    operation,
                    attempt,
                    "write collided with another, running it again"
                );
                attempt += 1;
            }
            done => return done,
        }
    }
}
