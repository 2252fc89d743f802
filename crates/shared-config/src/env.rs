//! Hierarchical environment loading (docs/decisions.md#d4).
//!
//! Files are read, in this order, each later file overriding the earlier:
//! `config/container-images.env` → `config/.env.defaults` → `.env` → `.env.local`.
//! The real process environment overrides every file (unlike the Node loader, whose
//! `.env` beat the shell). `.env.shared` is deliberately not read.
//!
//! Everything happens in plain `fn main`, before the async runtime exists, and nothing is
//! written back with `set_var`: services read settings from the [`Env`] map.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The files of the hierarchy, relative to the root, lowest priority first.
pub const ENV_FILES: [&str; 4] = [
    "config/container-images.env",
    "config/.env.defaults",
    ".env",
    ".env.local",
];

/// How deep `${A}` → `${B}` → … chains may go before we call it a cycle.
const MAX_EXPANSION_DEPTH: usize = 16;

/// A value as found in a file: expanded later, once every layer is known.
#[derive(Debug, Clone)]
struct FileValue {
    text: String,
    expand: bool,
}

/// The merged settings of one process: files, then the process environment.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    root: PathBuf,
    warnings: Vec<String>,
    /// With [`Env::recording`]: every name looked up, for tests that hold deployment
    /// files to the names the code really reads.
    asked: Option<std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>>,
}

impl Env {
    /// Loads the hierarchy for this process: root discovery, the four files, the process env.
    pub fn load() -> Self {
        let process: Vec<(String, String)> = std::env::vars().collect();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let explicit_root = process
            .iter()
            .find(|(k, v)| k == "TRADINGSYSTEM_ROOT" && !v.trim().is_empty())
            .map(|(_, v)| PathBuf::from(v));
        let root = explicit_root.unwrap_or_else(|| discover_root(&cwd));
        Self::from_root(root, process)
    }

    /// Loads the files under `root` and lays `process` over them.
    pub fn from_root(root: PathBuf, process: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut warnings = Vec::new();
        let mut layered: HashMap<String, FileValue> = HashMap::new();
        for file in ENV_FILES {
            let path = root.join(file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue; // a missing file is normal: every layer is optional
            };
            for entry in parse_dotenv(&text) {
                match entry {
                    Ok((key, value)) => {
                        layered.insert(key, value);
                    }
                    Err((line, problem)) => {
                        warnings.push(format!("{}:{line}: {problem}", path.display()))
                    }
                }
            }
        }
        let process: HashMap<String, String> = process.into_iter().collect();
        let mut vars = HashMap::with_capacity(layered.len() + process.len());
        for (key, value) in &layered {
            if process.contains_key(key) {
                continue;
            }
            let resolved = if value.expand {
                expand(&value.text, &layered, &process, 0)
            } else {
                value.text.clone()
            };
            vars.insert(key.clone(), resolved);
        }
        vars.extend(process);
        Self {
            vars,
            root,
            warnings,
            asked: None,
        }
    }

    /// An environment made of exactly these pairs (tests, the fleet launcher's overrides).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        root: impl Into<PathBuf>,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            root: root.into(),
            warnings: Vec::new(),
            asked: None,
        }
    }

    /// A copy with `pairs` laid over it (highest priority).
    pub fn with_overrides<K: Into<String>, V: Into<String>>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut copy = self.clone();
        copy.vars
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        copy
    }

    /// This environment, remembering every name looked up from now on (see
    /// [`Env::names_asked`]).
    pub fn recording(mut self) -> Self {
        self.asked = Some(Default::default());
        self
    }

    /// Every name looked up since [`Env::recording`], sorted.
    pub fn names_asked(&self) -> Vec<String> {
        self.asked.as_ref().map_or_else(Vec::new, |asked| {
            asked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .cloned()
                .collect()
        })
    }

    /// The value of `name`; an empty or blank value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        if let Some(asked) = &self.asked {
            asked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(name.to_string());
        }
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The first of `names` that is set, with the name it came from.
    pub fn first<'a>(&'a self, names: &[&'a str]) -> Option<(&'a str, &'a str)> {
        names
            .iter()
            .find_map(|name| self.get(name).map(|value| (*name, value)))
    }

    /// The project root: where `config/`, `data/`, docs and specs are resolved from.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Lines of the env files that could not be parsed (reported once at start-up).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// The nearest ancestor of `start` holding both `config/` and `Cargo.toml`, else `start`.
pub fn discover_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.join("config").is_dir() && dir.join("Cargo.toml").is_file())
        .unwrap_or(start)
        .to_path_buf()
}

type ParsedLine = Result<(String, FileValue), (usize, String)>;

/// Parses dotenv text: `KEY=value`, optional `export `, `#` comments, single quotes
/// (literal), double quotes (escapes, expansion), unquoted values (inline ` #` comments).
/// Within one file the last occurrence of a key wins, as with dotenv.
fn parse_dotenv(text: &str) -> Vec<ParsedLine> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, rest)) = line.split_once('=') else {
            out.push(Err((line_no, "expected KEY=value".to_string())));
            continue;
        };
        let key = key.trim();
        if !is_env_key(key) {
            out.push(Err((line_no, format!("invalid variable name {key:?}"))));
            continue;
        }
        match parse_value(rest.trim_start()) {
            Ok(value) => out.push(Ok((key.to_string(), value))),
            Err(problem) => out.push(Err((line_no, format!("{key}: {problem}")))),
        }
    }
    out
}

fn is_env_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c == '.' || c.is_ascii_alphanumeric())
}

fn parse_value(rest: &str) -> Result<FileValue, String> {
    if let Some(body) = rest.strip_prefix('\'') {
        let end = body.find('\'').ok_or("unterminated single quote")?;
        return Ok(FileValue {
            text: body[..end].to_string(),
            expand: false,
        });
    }
    if let Some(body) = rest.strip_prefix('"') {
        let mut text = String::new();
        let mut chars = body.chars();
        loop {
            match chars.next() {
                None => return Err("unterminated double quote".to_string()),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('r') => text.push('\r'),
                    Some(other) => text.push(other),
                    None => return Err("unterminated double quote".to_string()),
                },
                Some(c) => text.push(c),
            }
        }
        return Ok(FileValue { text, expand: true });
    }
    let value = match rest.find(" #") {
        Some(at) => &rest[..at],
        None => rest,
    };
    Ok(FileValue {
        text: value.trim_end().to_string(),
        expand: true,
    })
}

/// Expands `${VAR}` and `${VAR:-default}` against the merged layers (process env first).
/// A bare `$` is left alone, so passwords containing `$` survive.
fn expand(
    text: &str,
    files: &HashMap<String, FileValue>,
    process: &HashMap<String, String>,
    depth: usize,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        let value = lookup(name, files, process, depth);
        match (value, default) {
            (Some(v), _) if !v.is_empty() => out.push_str(&v),
            (_, Some(default)) => out.push_str(&expand(default, files, process, depth + 1)),
            _ => {}
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn lookup(
    name: &str,
    files: &HashMap<String, FileValue>,
    process: &HashMap<String, String>,
    depth: usize,
) -> Option<String> {
    if let Some(value) = process.get(name) {
        return Some(value.clone());
    }
    let value = files.get(name)?;
    if !value.expand || depth >= MAX_EXPANSION_DEPTH {
        return Some(value.text.clone());
    }
    Some(expand(&value.text, files, process, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("config")).expect("mkdir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        dir
    }

    fn env(files: &[(&str, &str)], process: &[(&str, &str)]) -> Env {
        let dir = root_with(files);
        Env::from_root(
            dir.path().to_path_buf(),
            process.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn later_files_override_earlier_ones() {
        let env = env(
            &[
                (
                    "config/container-images.env",
                    "A=images\nB=images\nC=images",
                ),
                ("config/.env.defaults", "B=defaults\nC=defaults\nD=defaults"),
                (".env", "C=dotenv\nD=dotenv"),
                (".env.local", "D=local"),
            ],
            &[],
        );
        assert_eq!(env.get("A"), Some("images"));
        assert_eq!(env.get("B"), Some("defaults"));
        assert_eq!(env.get("C"), Some("dotenv"));
        assert_eq!(env.get("D"), Some("local"));
    }

    #[test]
    fn process_environment_beats_every_file() {
        let env = env(&[(".env.local", "P=from-file")], &[("P", "from-process")]);
        assert_eq!(env.get("P"), Some("from-process"));
    }

    #[test]
    fn env_shared_is_not_read() {
        let env = env(&[(".env.shared", "S=shared")], &[]);
        assert_eq!(env.get("S"), None);
    }

    #[test]
    fn missing_files_are_fine() {
        let env = env(&[], &[("X", "1")]);
        assert_eq!(env.get("X"), Some("1"));
        assert!(env.warnings().is_empty());
    }

    #[test]
    fn expansion_uses_the_merged_layers_and_defaults() {
        let env = env(
            &[
                (
                    "config/.env.defaults",
                    "GATEWAY=http://gw:9082\nCORS=${GATEWAY},http://x\nD=${UNSET:-fallback}\nE=${EMPTY:-used}\nEMPTY=",
                ),
                (
                    ".env",
                    "F=${GATEWAY}/api\nG='${GATEWAY}'\nH=${NOPE}end\nI=cost $5",
                ),
            ],
            &[("GATEWAY", "http://shell")],
        );
        assert_eq!(env.get("CORS"), Some("http://shell,http://x"));
        assert_eq!(env.get("D"), Some("fallback"));
        assert_eq!(env.get("E"), Some("used"));
        assert_eq!(env.get("F"), Some("http://shell/api"));
        assert_eq!(
            env.get("G"),
            Some("${GATEWAY}"),
            "single quotes are literal"
        );
        assert_eq!(env.get("H"), Some("end"));
        assert_eq!(env.get("I"), Some("cost $5"));
    }

    #[test]
    fn expansion_cycles_terminate() {
        let env = env(&[(".env", "A=${B}\nB=${A}")], &[]);
        assert!(env.get("A").is_none_or(|v| v.len() < 64));
    }

    #[test]
    fn syntax_quotes_comments_and_export() {
        let env = env(
            &[(
                ".env",
                "# comment\nexport A=1\nB=two # trailing\nC=\"quoted # not a comment\\n\"\nD=last\nD=wins\nnot a line\n9BAD=x",
            )],
            &[],
        );
        assert_eq!(env.get("A"), Some("1"));
        assert_eq!(env.get("B"), Some("two"));
        assert_eq!(env.get("C"), Some("quoted # not a comment\n"));
        assert_eq!(env.get("D"), Some("wins"));
        assert_eq!(env.warnings().len(), 2, "{:?}", env.warnings());
    }

    #[test]
    fn blank_values_count_as_unset() {
        let env = env(&[(".env", "A=\nB=  ")], &[]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.first(&["A", "B", "C"]), None);
    }

    #[test]
    fn root_is_the_nearest_ancestor_with_config_and_cargo_toml() {
        let dir = root_with(&[("Cargo.toml", "")]);
        let nested = dir.path().join("crates/x/src");
        std::fs::create_dir_all(&nested).expect("mkdir");
        assert_eq!(discover_root(&nested), dir.path());
        let lonely = tempfile::tempdir().expect("tempdir");
        assert_eq!(discover_root(lonely.path()), lonely.path());
    }
}
