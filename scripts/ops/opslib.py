#!/usr/bin/env python3
"""Helpers behind the operator scripts (start-all, stop-all, health-check-all, backup,
restore). Python because it is on every machine the scripts run on and parses JSON, URLs
and /proc reliably; bash keeps the orchestration. Subcommands print plain lines for bash
to read; errors go to stderr with exit status 2.

Every subcommand that handles a database URL keeps its password out of what it prints:
`pg-env` writes the password to a passfile (mode 0600) and prints only PG* variables
without it; `redact` prints a URL without it.
"""

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import re
import shlex
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def die(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def root():
    return os.environ.get("TRADINGSYSTEM_ROOT") or REPO


def manifest_path():
    return os.environ.get("SERVICES_MANIFEST") or os.path.join(REPO, "config", "services-manifest.json")


def load_manifest():
    try:
        with open(manifest_path(), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die(f"cannot read the services manifest {manifest_path()}: {e}")


def select(manifest, wanted):
    """The manifest's services, or those named in a comma list, in manifest order."""
    services = manifest["services"]
    if not wanted:
        return services
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    known = {s["id"] for s in services}
    unknown = [n for n in names if n not in known]
    if unknown:
        die(f"unknown service(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return [s for s in services if s["id"] in names]


# --- configuration as the services read it (docs/decisions.md D4) -------------------

ENV_FILES = ["config/container-images.env", "config/.env.defaults", ".env", ".env.local"]
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand(value, files):
    def repl(m):
        name, default = m.group(1), m.group(2)
        got = os.environ.get(name) or files.get(name)
        return got if got else (default or "")

    return _REF.sub(repl, value)


def _parse_value(raw, files):
    raw = raw.strip()
    if raw.startswith("'"):
        end = raw.find("'", 1)
        return raw[1:end] if end > 0 else raw[1:]
    if raw.startswith('"'):
        out, i = [], 1
        while i < len(raw) and raw[i] != '"':
            if raw[i] == "\\" and i + 1 < len(raw):
                out.append({"n": "\n", "t": "\t"}.get(raw[i + 1], raw[i + 1]))
                i += 2
                continue
            out.append(raw[i])
            i += 1
        return _expand("".join(out), files)
    cut = raw.find(" #")
    if cut >= 0:
        raw = raw[:cut]
    return _expand(raw.strip(), files)


def env_files():
    """KEY -> value from the root's env files, later files overriding earlier ones."""
    values = {}
    for rel in ENV_FILES:
        path = os.path.join(root(), rel)
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                line = line[len("export "):]
            key, sep, rest = line.partition("=")
            key = key.strip()
            if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                continue
            values[key] = _parse_value(rest, values)
    return values


def setting(name, default=None, _files=[]):
    """The process environment wins over every file; an empty value counts as unset."""
    if os.environ.get(name, "").strip():
        return os.environ[name]
    if not _files:
        _files.append(env_files())
    value = _files[0].get(name, "")
    return value if value.strip() else default


def service_port(svc):
    value = setting(svc["envPrefix"] + "PORT")
    if value is None:
        return svc["port"]
    try:
        port = int(value)
    except ValueError:
        die(f"{svc['envPrefix']}PORT: invalid value {value!r}")
    return port


# --- database URLs --------------------------------------------------------------------


def sqlite_path(url):
    rest = re.sub(r"^sqlite:(//)?", "", url).split("?", 1)[0]
    if not rest:
        die(f"no file in the SQLite URL {url!r}")
    return rest if os.path.isabs(rest) else os.path.join(root(), rest)


def db_kind(url):
    if url.startswith(("postgres://", "postgresql://")):
        return "postgres"
    if url.startswith("sqlite:"):
        return "sqlite"
    die(f"unsupported database URL scheme in {redact(url)!r}")


def redact(url):
    """The URL with its password (and any password query parameter) removed."""
    if not url.startswith(("postgres://", "postgresql://")):
        return url
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = userinfo.split(":", 1)[0] + "@" + host
    query = "&".join(
        q for q in parts.query.split("&") if q and not q.lower().startswith("password=")
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# sqlx query parameters that libpq also knows, as PG* variables
_PG_PARAMS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "application_name": "PGAPPNAME",
    "host": "PGHOST",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
}


def pg_env(url, passfile):
    """libpq variables for a service's URL. The services' URLs carry sqlx-only parameters
    (`options[search_path]=…`) that psql would refuse, so they become PGOPTIONS."""
    parts = urllib.parse.urlsplit(url)
    env = {}
    if parts.hostname:
        env["PGHOST"] = parts.hostname
    if parts.port:
        env["PGPORT"] = str(parts.port)
    if parts.username:
        env["PGUSER"] = urllib.parse.unquote(parts.username)
    db = urllib.parse.unquote(parts.path.lstrip("/"))
    if db:
        env["PGDATABASE"] = db
    password = urllib.parse.unquote(parts.password) if parts.password else None
    options = []
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        m = re.fullmatch(r"options\[([A-Za-z_.]+)\]", key)
        if m:
            options.append(f"-c {m.group(1)}={value}")
        elif key == "options":
            options.append(value)
        elif key == "password":
            password = value
        elif key in _PG_PARAMS:
            env[_PG_PARAMS[key]] = value
        else:
            print(f"warning: URL parameter {key!r} is not passed to the PostgreSQL tools", file=sys.stderr)
    if options:
        env["PGOPTIONS"] = " ".join(options)
    env["PGPASSFILE"] = passfile
    # The passfile holds the only copy of the password; *:*:*:* matches whatever host
    # and port libpq connects to for this one tool run.
    fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        if password is not None:
            esc = password.replace("\\", "\\\\").replace(":", "\\:")
            f.write(f"*:*:*:*:{esc}\n")
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


# --- processes and ports ----------------------------------------------------------------


def port_holder(port):
    """Who listens on a TCP port, from /proc (needs no ss or lsof on a minimal system)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    local, state, inode = cols[1], cols[3], cols[9]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(inode)
        except OSError:
            pass
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    with open(f"/proc/{pid}/cmdline", "rb") as c:
                        cmd = c.read().replace(b"\0", b" ").decode(errors="replace").strip()
                    return f"pid {pid} ({cmd or '?'})"
        except OSError:
            continue
    return "a process this user cannot see (run as root to name it)"


def pid_alive(pidfile, binary):
    """The PID in the file when that process runs this binary, else nothing: a PID file
    left from before a reboot may name an unrelated process by now."""
    try:
        pid = int(open(pidfile).read().strip())
        exe = os.readlink(f"/proc/{pid}/exe")
    except (OSError, ValueError):
        return None
    exe = exe.removesuffix(" (deleted)")
    return pid if os.path.basename(exe) == binary else None


# --- SQLite ---------------------------------------------------------------------------


def sqlite_backup(src, dst):
    if sqlite3.sqlite_version_info < (3, 27, 0):
        die(f"SQLite {sqlite3.sqlite_version} has no VACUUM INTO (3.27 or later needed)")
    if not os.path.isfile(src):
        die(f"no SQLite database at {src}")
    # mode=rw: never create an empty database where the service's file should be.
    conn = sqlite3.connect(f"file:{urllib.parse.quote(src)}?mode=rw", uri=True, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        # VACUUM INTO reads one snapshot, so the copy is consistent while the service writes.
        conn.execute("VACUUM INTO ?", (dst,))
    finally:
        conn.close()
    check = sqlite3.connect(f"file:{urllib.parse.quote(dst)}?mode=ro", uri=True)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        die(f"the copy of {src} fails its integrity check: {result}")


def sqlite_tables(path):
    """How many tables a SQLite file holds (0 for a missing or empty file)."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return 0
    conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        conn.close()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- backup manifests ------------------------------------------------------------------


def manifest_finish(entries_file, out, created_at, tools):
    with open(entries_file, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    # Services sharing one database and schema share one dump: the later ones only name
    # the key of the first one's entry.
    entries, by_key = [], {}
    for e in lines:
        key = e.pop("key", None)
        if key in by_key and "file" not in e:
            by_key[key]["services"].extend(e["services"])
            continue
        if key:
            by_key[key] = e
        entries.append(e)
    doc = {
        "format": 1,
        "created_at": created_at,
        "host": os.uname().nodename,
        "tools": dict(t.split("=", 1) for t in tools),
        "entries": entries,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def manifest_entries(path, wanted):
    """Tab-separated lines for restore.sh: services kind file bytes sha256 schema name
    timescaledb (name is the database of a postgres-database entry; "-" when absent)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        die(f"cannot read {path}: {e}")
    names = {n for n in (wanted or "").split(",") if n}
    known = {s for e in doc["entries"] for s in e["services"]}
    if names - known:
        die(f"the backup holds no data of: {', '.join(sorted(names - known))} (it has: {', '.join(sorted(known))})")
    for e in doc["entries"]:
        if names and not names & set(e["services"]):
            continue
        print("\t".join([",".join(e["services"]), e["kind"], e["file"], str(e["bytes"]),
                         e["sha256"], e.get("schema") or "-", e.get("name") or e.get("database") or "-",
                         e.get("timescaledb") or "-"]))


# --- health ----------------------------------------------------------------------------

STATUS_VALUE = {"healthy": 1.0, "degraded": 0.5, "unhealthy": 0.0}


def check_one(svc, host, timeout):
    port = service_port(svc)
    url = f"http://{host}:{port}{svc['healthPath']}"
    started = time.monotonic()
    result = {"id": svc["id"], "port": port, "critical": bool(svc.get("critical", True)),
              "status": "unreachable", "httpStatus": None, "responseTimeMs": None,
              "checks": {}, "message": ""}
    try:
        try:
            resp = urllib.request.urlopen(url, timeout=timeout)
            code, body = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            code, body = e.code, e.read()
        result["responseTimeMs"] = round((time.monotonic() - started) * 1000, 1)
        result["httpStatus"] = code
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        status = doc.get("status") if isinstance(doc, dict) else None
        checks = doc.get("checks") if isinstance(doc, dict) and isinstance(doc.get("checks"), dict) else {}
        result["checks"] = checks
        if status in STATUS_VALUE and (code == 200 or (code == 503 and status == "unhealthy")):
            result["status"] = status
            bad = [f"{n}: {c.get('status')} ({c.get('message')})" for n, c in checks.items()
                   if isinstance(c, dict) and c.get("status") != "healthy"]
            result["message"] = "; ".join(bad)
        else:
            result["status"] = "unhealthy"
            result["message"] = f"unexpected answer from {url}: HTTP {code}, status {status!r}"
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            result["message"] = f"no answer from {url} within {timeout:g} s"
        else:
            result["message"] = f"cannot reach {url}: {reason}"
    return result


def health(args):
    services = select(load_manifest(), args.services)
    host = os.environ.get("HEALTH_HOST", "127.0.0.1")
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(services) or 1) as pool:
        results = list(pool.map(lambda s: check_one(s, host, args.timeout), services))
    # Exit status: 2 when a critical service is unhealthy or unreachable; 1 when a service
    # is degraded or a non-critical one fails; 0 when every service is healthy.
    code = 0
    for r in results:
        if r["status"] == "healthy":
            continue
        if r["status"] == "degraded" or not r["critical"]:
            code = max(code, 1)
        else:
            code = 2
    overall = ["healthy", "degraded", "critical"][code]
    now = datetime.datetime.now(datetime.timezone.utc)
    summary = {"total": len(results), "exitCode": code}
    for s in ("healthy", "degraded", "unhealthy", "unreachable"):
        summary[s] = sum(1 for r in results if r["status"] == s)
    summary["criticalFailures"] = sum(1 for r in results if r["critical"] and r["status"] in ("unhealthy", "unreachable"))
    if args.format == "json":
        out = json.dumps({"overallHealth": overall, "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                          "services": results, "summary": summary}, indent=2) + "\n"
    elif args.format == "prometheus":
        out = prometheus(results, code, now)
    else:
        lines = []
        for r in results:
            http = r["httpStatus"] if r["httpStatus"] is not None else "-"
            ms = f"{r['responseTimeMs']:g} ms" if r["responseTimeMs"] is not None else "-"
            crit = "" if r["critical"] else " (non-critical)"
            lines.append(f"{r['id']:<20} {r['status']:<12} http {http!s:<4} {ms:>10}  :{r['port']}{crit}"
                         + (f"  {r['message']}" if r["message"] else ""))
        lines.append(f"overall: {overall} (exit {code})")
        out = "\n".join(lines) + "\n"
    if args.output:
        # Written beside the target and renamed over it: node-exporter's textfile collector
        # must never read half a file.
        tmp = f"{args.output}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(out)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(out)
    return code


def _label(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(results, code, now):
    out = []

    def family(name, kind, text, samples):
        out.append(f"# HELP {name} {text}")
        out.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            ls = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            out.append(f"{name}{{{ls}}} {value}" if ls else f"{name} {value}")

    states = ["healthy", "degraded", "unhealthy", "unreachable"]
    family("tradingsystem_health_check_status", "gauge",
           "1 for the service's current health state (healthy, degraded, unhealthy, unreachable), 0 for the others.",
           [({"service": r["id"], "status": s}, 1 if r["status"] == s else 0) for r in results for s in states])
    family("tradingsystem_health_check_reachable", "gauge",
           "1 when the service answered its /health with healthy or degraded, else 0.",
           [({"service": r["id"]}, 1 if r["status"] in ("healthy", "degraded") else 0) for r in results])
    family("tradingsystem_health_check_http_status", "gauge",
           "HTTP status of the service's /health (0 when unreachable).",
           [({"service": r["id"]}, r["httpStatus"] or 0) for r in results])
    family("tradingsystem_health_check_response_time_seconds", "gauge",
           "Time the service took to answer its /health (absent when unreachable).",
           [({"service": r["id"]}, r["responseTimeMs"] / 1000) for r in results if r["responseTimeMs"] is not None])
    family("tradingsystem_health_check_component_status", "gauge",
           "Each check inside a service's /health: 1 healthy, 0.5 degraded, 0 unhealthy.",
           [({"service": r["id"], "check": n}, STATUS_VALUE.get(c.get("status"), 0))
            for r in results for n, c in sorted(r["checks"].items()) if isinstance(c, dict)])
    family("tradingsystem_health_check_overall_status", "gauge",
           "The health check's exit status: 0 all healthy, 1 degraded or a non-critical failure, 2 critical.",
           [({}, code)])
    family("tradingsystem_health_check_last_run_timestamp_seconds", "gauge",
           "When the health check ran (Unix time).", [({}, f"{now.timestamp():.3f}")])
    return "\n".join(out) + "\n"


# --- command line -----------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(prog="opslib.py", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("services")
    s.add_argument("--services", default="")
    sub.add_parser("root")
    s = sub.add_parser("setting")
    s.add_argument("name")
    s.add_argument("default", nargs="?")
    s = sub.add_parser("db-env")
    s.add_argument("service")
    s.add_argument("passfile")
    s = sub.add_parser("url-env")
    s.add_argument("name")
    s.add_argument("passfile")
    s = sub.add_parser("dir-setting")
    s.add_argument("service")
    s = sub.add_parser("port-holder")
    s.add_argument("port", type=int)
    s = sub.add_parser("pid-alive")
    s.add_argument("pidfile")
    s.add_argument("binary")
    s = sub.add_parser("sqlite-backup")
    s.add_argument("src")
    s.add_argument("dst")
    s = sub.add_parser("sqlite-tables")
    s.add_argument("path")
    sub.add_parser("sqlite-version")
    s = sub.add_parser("sha256")
    s.add_argument("path")
    s = sub.add_parser("entry")
    s.add_argument("pairs", nargs="+")
    s = sub.add_parser("manifest-finish")
    s.add_argument("entries")
    s.add_argument("out")
    s.add_argument("created_at")
    s.add_argument("tools", nargs="*")
    s = sub.add_parser("manifest-entries")
    s.add_argument("manifest")
    s.add_argument("--services", default="")
    s = sub.add_parser("health", prog="health-check-all.sh",
                       description="GET each service's /health (from config/services-manifest.json) and report. "
                                   "Exit 0: every service healthy. 1: a service degraded, or a non-critical service "
                                   "(critical: false in the manifest, the firecrawl-proxy) unhealthy or unreachable. "
                                   "2: a critical service unhealthy, unreachable or answering nonsense.")
    s.add_argument("--format", choices=["text", "json", "prometheus"], default="text")
    s.add_argument("--services", default="", help="comma list of service ids (default: all)")
    s.add_argument("--timeout", type=float, default=3.0, help="seconds per service (default 3)")
    s.add_argument("--output", help="write the report to this file atomically (for node-exporter's textfile collector)")
    a = p.parse_args()

    if a.cmd == "services":
        # id binary port healthPath readyPath critical hasDatabase
        for svc in select(load_manifest(), a.services):
            print("\t".join([svc["id"], svc["binary"], str(service_port(svc)), svc["healthPath"],
                             svc["readyPath"], "1" if svc.get("critical", True) else "0",
                             "1" if svc.get("database") else "0"]))
    elif a.cmd == "root":
        print(root())
    elif a.cmd == "setting":
        value = setting(a.name, a.default)
        if value is None:
            sys.exit(1)
        print(value)
    elif a.cmd == "db-env":
        # The service's URL is resolved here and never printed whole: bash gets the
        # backend, the file or the PG* variables, and the URL without its password.
        svc = select(load_manifest(), a.service)[0]
        db = svc.get("database")
        if not db:
            die(f"{svc['id']} keeps no database")
        url = setting(db["env"], db["default"])
        kind = db_kind(url)
        env = {"DB_KIND": kind, "DB_ENV": db["env"], "DB_SOURCE": redact(url)}
        if kind == "sqlite":
            env["DB_PATH"] = sqlite_path(url)
        else:
            env.update(pg_env(url, a.passfile))
        for k, v in env.items():
            print(f"export {k}={shlex.quote(v)}")
    elif a.cmd == "url-env":
        # A PostgreSQL URL of its own (BACKUP_DATABASE_URL), as db-env prints a service's;
        # exit 1 when unset. Every PG* variable is unset first, so nothing of the service's
        # URL (its search_path, its sslmode) is mixed into this one.
        url = setting(a.name)
        if url is None:
            sys.exit(1)
        if db_kind(url) != "postgres":
            die(f"{a.name} must be a postgres:// URL, not {redact(url)!r}")
        print("unset " + " ".join(sorted(set(_PG_PARAMS.values()) | {"PGOPTIONS", "PGPASSWORD"})))
        print(f"export URL_SOURCE={shlex.quote(redact(url))}")
        for k, v in pg_env(url, a.passfile).items():
            print(f"export {k}={shlex.quote(v)}")
    elif a.cmd == "dir-setting":
        svc = select(load_manifest(), a.service)[0]
        for d in svc.get("directories") or []:
            value = setting(d["env"], d["default"])
            print(d["name"] + "\t" + (value if os.path.isabs(value) else os.path.join(root(), value)))
    elif a.cmd == "port-holder":
        holder = port_holder(a.port)
        if holder is None:
            sys.exit(1)
        print(holder)
    elif a.cmd == "pid-alive":
        pid = pid_alive(a.pidfile, a.binary)
        if pid is None:
            sys.exit(1)
        print(pid)
    elif a.cmd == "sqlite-backup":
        sqlite_backup(a.src, a.dst)
    elif a.cmd == "sqlite-tables":
        print(sqlite_tables(a.path))
    elif a.cmd == "sqlite-version":
        print(sqlite3.sqlite_version)
    elif a.cmd == "sha256":
        print(sha256(a.path))
    elif a.cmd == "entry":
        entry = {}
        for pair in a.pairs:
            k, _, v = pair.partition("=")
            if k == "services":
                entry[k] = v.split(",")
            elif k == "bytes":
                entry[k] = int(v)
            else:
                entry[k] = v
        print(json.dumps(entry))
    elif a.cmd == "manifest-finish":
        manifest_finish(a.entries, a.out, a.created_at, a.tools)
    elif a.cmd == "manifest-entries":
        manifest_entries(a.manifest, a.services)
    elif a.cmd == "health":
        sys.exit(health(a))


if __name__ == "__main__":
    main()
