"""Helpers of scripts/init-database.sh that shell does badly: reading the env files as the
services do, splitting a connection URL into libpq's PG* variables, building URLs with
encoded passwords, and SCRAM-SHA-256 verifiers (so a password never reaches the server,
or its logs, in clear text).

  pg_init.py env-files ROOT        export lines for the env files' keys the environment lacks
  pg_init.py libpq URL             export lines PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE
  pg_init.py url USER PW SCHEMA    a postgres:// URL for the server in the PG* variables
  pg_init.py scram PASSWORD        the SCRAM-SHA-256 verifier of PASSWORD (PostgreSQL's form)

Secrets are read from the environment variable named, never from the command line.
"""

import base64
import hashlib
import hmac
import os
import re
import shlex
import sys
import urllib.parse

ENV_FILES = ["config/container-images.env", "config/.env.defaults", ".env", ".env.local"]
EXPANSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def env_files(root):
    # Later files override earlier ones; the real environment overrides every file.
    values = {}
    for name in ENV_FILES:
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                key, value = line.split("=", 1)
                key = key.strip().removeprefix("export ").strip()
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1]
                lookup = lambda m: os.environ.get(m.group(1), values.get(m.group(1), m.group(2) or ""))
                values[key] = EXPANSION.sub(lookup, value)
    for key, value in values.items():
        if key not in os.environ and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            print(f"export {key}={shlex.quote(value)}")


def libpq(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("DATABASE_URL must be a postgres:// URL")
    fields = {
        "PGHOST": parts.hostname or "localhost",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": urllib.parse.unquote(parts.username or "postgres"),
        "PGDATABASE": urllib.parse.unquote(parts.path.lstrip("/")) or "postgres",
    }
    if parts.password is not None:
        fields["PGPASSWORD"] = urllib.parse.unquote(parts.password)
    for key, value in fields.items():
        print(f"export {key}={shlex.quote(value)}")


def url(user, password_var, schema):
    quote = lambda s: urllib.parse.quote(s, safe="")
    password = os.environ.get(password_var, "")
    auth = quote(user) + (":" + quote(password) if password else "")
    host = os.environ.get("PGHOST", "localhost")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    query = urllib.parse.quote(f"{schema},public", safe=",")
    print(f"postgres://{auth}@{host}:{os.environ.get('PGPORT', '5432')}/"
          f"{quote(os.environ.get('PGDATABASE', 'postgres'))}?options[search_path]={query}")


def scram(password_var):
    password = os.environ[password_var].encode("utf-8")
    salt = os.urandom(16)
    iterations = 4096
    salted = hashlib.pbkdf2_hmac("sha256", password, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda b: base64.b64encode(b).decode("ascii")
    print(f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"env-files": env_files, "libpq": libpq, "url": url, "scram": scram}[command](*args)
