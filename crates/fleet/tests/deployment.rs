//! The deployment files, held to the code: docker/compose.yml, docker/Dockerfile and
//! config/container-images.env. No container engine runs here, so this reads them: ports,
//! health checks, the files they name, every environment name against what the services'
//! configuration really reads, and every image against the pinned list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;
use shared::config::Env;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn compose() -> Value {
    let mut doc: Value = serde_yaml_ng::from_str(&read("docker/compose.yml")).expect("YAML");
    doc.apply_merge().expect("merge keys");
    doc
}

fn services(doc: &Value) -> BTreeMap<String, Value> {
    doc["services"]
        .as_mapping()
        .expect("services")
        .iter()
        .map(|(k, v)| (k.as_str().expect("name").to_string(), v.clone()))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `${NAME}`, `${NAME:-x}`, `${NAME:?x}` references in `text`.
fn references(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        names.insert(rest[..end].to_string());
        rest = &rest[end..];
    }
    names
}

/// `KEY=value` lines of an env file.
fn env_file(path: &str) -> BTreeMap<String, String> {
    read(path)
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Every name the service's configuration looks up, read off a recording environment.
fn names_read(service: &str) -> BTreeSet<String> {
    let env = Env::from_pairs(repo(), Vec::<(String, String)>::new()).recording();
    match service {
        "workspace-api" => drop(workspace_api::Config::from_env(&env, true)),
        "documentation-api" => drop(documentation_api::Config::from_env(&env, true)),
        "firecrawl-proxy" => drop(firecrawl_proxy::Config::from_env(&env, true)),
        "timescaledb-sync" => drop(timescaledb_sync::config::Config::from_env(&env)),
        other => panic!("no configuration for {other}"),
    }
    env.names_asked().into_iter().collect()
}

/// The Dockerfile's stages: name → its lines.
fn dockerfile_stages() -> BTreeMap<String, Vec<String>> {
    let mut stages = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in read("docker/Dockerfile").lines() {
        if let Some(from) = line.strip_prefix("FROM ") {
            let name = from.split(" AS ").nth(1).expect("every stage is named");
            current = Some(name.trim().to_string());
            stages.insert(name.trim().to_string(), Vec::new());
        } else if let Some(stage) = &current {
            stages.get_mut(stage).expect("stage").push(line.to_string());
        }
    }
    stages
}

const APIS: [(&str, u16); 3] = [
    ("workspace-api", 3200),
    ("documentation-api", 3400),
    ("firecrawl-proxy", 3600),
];

#[test]
fn the_apis_publish_their_ports_and_are_checked_for_readiness() {
    let services = services(&compose());
    for (name, port) in APIS {
        let service = &services[name];
        assert_eq!(
            strings(&service["ports"]),
            vec![format!("{port}:{port}")],
            "{name}"
        );
        let test = strings(&service["healthcheck"]["test"]).join(" ");
        assert!(
            test.contains(&format!("http://127.0.0.1:{port}/ready")),
            "{name}: {test}"
        );
        assert_eq!(
            service["restart"].as_str(),
            Some("unless-stopped"),
            "{name}"
        );
    }
    let questdb = strings(&services["questdb"]["ports"]);
    for port in ["9000:9000", "9009:9009", "8812:8812"] {
        assert!(questdb.iter().any(|p| p.starts_with(port)), "{questdb:?}");
    }
    assert!(
        strings(&services["questdb"]["healthcheck"]["test"])
            .join(" ")
            .contains("/exec?query=SELECT%201")
    );
    assert!(
        strings(&services["timescaledb"]["healthcheck"]["test"])
            .join(" ")
            .contains("pg_isready")
    );
    // Everything that serves has a health check; the one-shot and scheduled jobs do not.
    for (name, service) in &services {
        let serves = !matches!(
            name.as_str(),
            "db-init" | "timescaledb-sync" | "firecrawl-worker" | "firecrawl-playwright"
        );
        assert_eq!(
            service.get("healthcheck").is_some(),
            serves,
            "{name}'s health check"
        );
    }
}

#[test]
fn the_start_order_runs_db_init_before_the_services_that_need_the_database() {
    let services = services(&compose());
    let init = &services["db-init"]["depends_on"];
    for dependency in ["timescaledb", "questdb"] {
        assert_eq!(
            init[dependency]["condition"].as_str(),
            Some("service_healthy")
        );
    }
    for name in ["workspace-api", "documentation-api", "timescaledb-sync"] {
        let depends_on = &services[name]["depends_on"];
        assert_eq!(
            depends_on["db-init"]["condition"].as_str(),
            Some("service_completed_successfully"),
            "{name}"
        );
        assert_eq!(
            depends_on["timescaledb"]["condition"].as_str(),
            Some("service_healthy"),
            "{name}"
        );
    }
    let proxy = &services["firecrawl-proxy"]["depends_on"]["firecrawl-api"];
    assert_eq!(proxy["condition"].as_str(), Some("service_healthy"));
    assert_eq!(
        proxy["required"].as_bool(),
        Some(false),
        "the proxy also starts without the firecrawl profile"
    );
    // They run as their app roles and leave migrations to db-init.
    for (name, prefix, role) in [
        ("workspace-api", "WORKSPACE_API", "app_workspace"),
        (
            "documentation-api",
            "DOCUMENTATION_API",
            "app_documentation",
        ),
        ("timescaledb-sync", "TIMESCALEDB_SYNC", "app_sync"),
    ] {
        let environment = &services[name]["environment"];
        assert_eq!(
            environment[format!("{prefix}_RUN_MIGRATIONS").as_str()].as_str(),
            Some("false"),
            "{name}"
        );
        let url = environment
            .as_mapping()
            .expect("environment")
            .iter()
            .find_map(|(k, v)| {
                let key = k.as_str()?;
                (key.ends_with("_DATABASE_URL") || key == "TIMESCALEDB_DSN").then(|| v.as_str())
            })
            .flatten()
            .unwrap_or_else(|| panic!("{name} has no database URL"));
        assert!(
            url.starts_with(&format!("postgres://{role}:")),
            "{name}: {url}"
        );
    }
}

#[test]
fn every_file_compose_and_the_dockerfile_name_exists() {
    let doc = compose();
    let docker = repo().join("docker");
    for (name, service) in services(&doc) {
        if let Some(build) = service.get("build") {
            let context = docker.join(build["context"].as_str().expect("context"));
            assert!(context.join("Cargo.toml").is_file(), "{name}: context");
            let file = build["dockerfile"].as_str().expect("dockerfile");
            assert!(context.join(file).is_file(), "{name}: {file}");
            let target = build["target"].as_str().expect("target");
            assert!(dockerfile_stages().contains_key(target), "{name}: {target}");
        }
        for volume in strings(&service["volumes"]) {
            let source = volume.split(':').next().expect("source");
            if source.starts_with('.') {
                assert!(docker.join(source).exists(), "{name}: {source}");
            } else {
                assert!(
                    doc["volumes"].get(source).is_some(),
                    "{name}: volume {source} not declared"
                );
            }
        }
    }
    for (stage, lines) in dockerfile_stages() {
        for line in lines.iter().filter(|l| l.starts_with("COPY ")) {
            if line.contains("--from=") {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            for source in &parts[1..parts.len() - 1] {
                assert!(repo().join(source).exists(), "{stage}: COPY {source}");
            }
        }
    }
    // The scripts the images run are executable.
    for script in ["docker/sync-schedule.sh", "scripts/init-database.sh"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(repo().join(script))
            .expect(script)
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "{script} is not executable");
    }
}

#[test]
fn each_api_image_is_small_unprivileged_and_checks_its_own_health() {
    let stages = dockerfile_stages();
    let runtime = stages["runtime"].join("\n");
    assert!(runtime.contains("USER 10001"), "{runtime}");
    for (name, port) in APIS {
        let stage = stages[name].join("\n");
        assert!(
            stage.contains(&format!("http://127.0.0.1:{port}/healthz")),
            "{name}: HEALTHCHECK"
        );
        assert!(stage.contains(&format!("EXPOSE {port}")), "{name}");
        assert!(
            stage.contains(&format!("ENTRYPOINT [\"{name}\"]")),
            "{name}"
        );
        assert!(
            !stage.contains("cargo") && !stage.contains("COPY . "),
            "{name}: no build tools or sources in the final image"
        );
    }
    let build_from = read("docker/Dockerfile");
    assert!(
        build_from.contains("FROM ${RUNTIME_IMAGE} AS runtime"),
        "the services' images start from the slim runtime, not the Rust image"
    );
}

#[test]
fn every_image_comes_pinned_from_container_images_env() {
    let pins = env_file("config/container-images.env");
    let version = &pins["IMG_VERSION"];
    let mut used = BTreeSet::new();
    for (name, service) in services(&compose()) {
        let image = service["image"]
            .as_str()
            .expect("every service names its image");
        let variable: String = image
            .strip_prefix("${")
            .and_then(|rest| rest.split([':', '}']).next())
            .unwrap_or_else(|| panic!("{name}: {image} is not a pinned variable"))
            .to_string();
        assert!(
            image.contains(":?"),
            "{name}: {image} must fail when the pin is missing, not fall back"
        );
        let pinned = pins
            .get(&variable)
            .unwrap_or_else(|| panic!("{name}: {variable} not in config/container-images.env"))
            .replace("${IMG_VERSION}", version);
        let tag = pinned.rsplit_once(':').map(|(_, tag)| tag).unwrap_or("");
        assert!(
            tag.chars().any(|c| c.is_ascii_digit()) && !tag.contains("latest"),
            "{variable}={pinned}: pin a version"
        );
        used.insert(variable);
    }
    let declared: BTreeSet<String> = pins
        .keys()
        .filter(|k| k.as_str() != "IMG_VERSION")
        .cloned()
        .collect();
    assert_eq!(declared, used, "every pin is used, and only pins are used");
}

#[test]
fn every_environment_name_is_one_the_code_reads() {
    // Names the binaries do not read through their Config, with who reads them.
    let read_elsewhere: BTreeMap<&str, &str> = [
        ("MIMALLOC_PURGE_DELAY", "the mimalloc allocator"),
        ("SYNC_INTERVAL_S", "docker/sync-schedule.sh"),
        ("SYNC_RECONCILE_HOUR", "docker/sync-schedule.sh"),
    ]
    .into();
    let init_script = read("scripts/init-database.sh");
    let schedule = read("docker/sync-schedule.sh");
    let ours = [
        "workspace-api",
        "documentation-api",
        "firecrawl-proxy",
        "timescaledb-sync",
    ];
    for (name, service) in services(&compose()) {
        let Some(environment) = service["environment"].as_mapping() else {
            continue;
        };
        let keys = environment.keys().filter_map(|k| k.as_str());
        if ours.contains(&name.as_str()) {
            let known = names_read(&name);
            for key in keys {
                match read_elsewhere.get(key) {
                    Some(&"docker/sync-schedule.sh") => {
                        assert!(schedule.contains(key), "{name}: {key}")
                    }
                    Some(_) => {}
                    None => assert!(
                        known.contains(key),
                        "{name}: {key} is not a setting of {name}"
                    ),
                }
            }
        } else if name == "db-init" {
            for key in keys {
                assert!(
                    init_script.contains(key),
                    "db-init: {key} is not read by init-database.sh"
                );
            }
        }
    }
    // Every secret compose interpolates is documented in .env.example.
    let example = read(".env.example");
    let pins = env_file("config/container-images.env");
    for name in references(&read("docker/compose.yml")) {
        if !pins.contains_key(&name) {
            assert!(example.contains(&name), "{name} is not in .env.example");
        }
    }
}
