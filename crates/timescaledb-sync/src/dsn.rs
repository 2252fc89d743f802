//! `TIMESCALEDB_DSN` as the Python original accepted it: a `postgres://` URL, or libpq's
//! `key=value` connection string (what psycopg2 took).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgSslMode};

/// A URL, or libpq's `key=value` form (values may be single-quoted, `\` escapes).
/// Returns the options and the DSN's own `connect_timeout`, if any.
pub fn parse_dsn(raw: &str) -> Result<(PgConnectOptions, Option<Duration>), String> {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        return PgConnectOptions::from_str(raw)
            .map(|o| (o, None))
            .map_err(|_| "not a valid postgres:// URL".to_string());
    }
    let mut options = PgConnectOptions::new();
    let mut timeout = None;
    for (key, value) in libpq_pairs(raw)? {
        options = match key.as_str() {
            "host" | "hostaddr" => options.host(&value),
            "port" => options.port(value.parse().map_err(|_| "port is not a number")?),
            "dbname" => options.database(&value),
            "user" => options.username(&value),
            "password" => options.password(&value),
            "sslmode" => options
                .ssl_mode(PgSslMode::from_str(&value).map_err(|_| "sslmode is not a libpq mode")?),
            "application_name" => options.application_name(&value),
            "options" => options.options(server_options(&value)?),
            "connect_timeout" => {
                let secs: u64 = value
                    .parse()
                    .map_err(|_| "connect_timeout is not a number")?;
                timeout = Some(Duration::from_secs(secs.max(1)));
                options
            }
            other => return Err(format!("unsupported key {other:?}")),
        };
    }
    Ok((options, timeout))
}

fn libpq_pairs(raw: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = raw.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("expected key=value after {key:?}"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("unterminated quote in the value of {key:?}")),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
    if pairs.is_empty() {
        return Err("empty".to_string());
    }
    Ok(pairs)
}

/// libpq's `options`: `-c name=value` (or `-cname=value`, `--name=value`) settings.
fn server_options(raw: &str) -> Result<Vec<(String, String)>, String> {
    let mut settings = Vec::new();
    let mut words = raw.split_whitespace();
    while let Some(word) = words.next() {
        let setting = match word {
            "-c" => words.next().ok_or("options: -c without a setting")?,
            w if w.starts_with("--") => &w[2..],
            w if w.starts_with("-c") => &w[2..],
            _ => return Err("options: expected -c name=value".to_string()),
        };
        let (name, value) = setting
            .split_once('=')
            .ok_or("options: expected -c name=value")?;
        settings.push((name.to_string(), value.to_string()));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_key_value_strings() {
        let (o, timeout) = parse_dsn(
            r"host=db.local port=6543 dbname=tradingsystem user=sync password='it\'s a \\ secret' sslmode=disable options='-c search_path=sync,public' connect_timeout=3",
        )
        .expect("valid");
        assert_eq!(o.get_host(), "db.local");
        assert_eq!(o.get_port(), 6543);
        assert_eq!(o.get_database(), Some("tradingsystem"));
        assert_eq!(timeout, Some(Duration::from_secs(3)));
        assert!(parse_dsn("host=a port=x").is_err());
        assert!(parse_dsn("host='a").is_err());
        assert!(parse_dsn("postgres://u@h:5432/db?sslmode=disable").is_ok());
    }
}
