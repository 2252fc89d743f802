#!/usr/bin/env python3
"""Test data for scripts/ops-tests/backup.sh, spoken through the services' HTTP APIs.

  fleet_data.py populate WS_PORT DOC_PORT EXPECT.json
      writes items, a category, a system, ideas, files (binary, with NUL bytes) and a
      published spec version, with updates and deletes so both audit logs have rows of
      every kind; EXPECT.json keeps the uploaded files' SHA-256 as computed here.
  fleet_data.py snapshot WS_PORT DOC_PORT OUT.json [EXPECT.json]
      the full listings (items, categories, audit, systems, ideas, files, spec
      versions), then every file downloaded and hashed; with EXPECT.json, each file's
      bytes must be the ones uploaded.
"""

import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
import uuid


def call(method, url, body=None, headers=None, raw=False):
    data = None
    headers = dict(headers or {})
    if body is not None and not isinstance(body, bytes):
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    elif body is not None:
        data = body
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            payload = resp.read()
            status = resp.status
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {url} -> HTTP {e.code}: {e.read()[:500]!r}")
    if raw:
        return status, payload
    return json.loads(payload) if payload else None


def multipart(fields, filename, content, mime="application/octet-stream"):
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {mime}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"content-type": f"multipart/form-data; boundary={boundary}"}


def data_of(doc):
    return doc["data"] if isinstance(doc, dict) and "data" in doc else doc


def populate(ws, doc, expect_path):
    w = f"http://127.0.0.1:{ws}"
    d = f"http://127.0.0.1:{doc}/api/v1"
    actor = {"X-User-Id": "ops-test"}
    call("POST", f"{w}/api/categories", {"name": "ops-restore", "display_name": "Ops restore",
                                          "color": "#12AB34", "display_order": 7}, actor)
    items = []
    for i in range(6):
        item = data_of(call("POST", f"{w}/api/items", {
            "title": f"Item {i} ünïcode ✓", "description": f"Backup test item {i}",
            "category": "ops-restore" if i % 2 else "analise-dados",
            "priority": ["low", "medium", "high", "critical"][i % 4],
            "tags": [f"t{i}", "backup"], "metadata": {"n": i, "nested": {"k": [1, 2, i]}}}, actor))
        items.append(item["id"])
    call("PUT", f"{w}/api/items/{items[0]}", {"status": "in-progress", "title": "Item 0 updated"}, actor)
    call("PUT", f"{w}/api/items/{items[1]}", {"tags": ["changed"], "priority": "high"}, actor)
    call("DELETE", f"{w}/api/items/{items[2]}", None, actor)

    system = data_of(call("POST", f"{d}/systems", {"name": "Ops system", "url": "http://127.0.0.1:9/health",
                                                   "tags": "ops, backup"}, actor))
    ideas = []
    for i in range(4):
        idea = data_of(call("POST", f"{d}/ideas", {"title": f"Idea {i}", "description": f"idea {i}",
                                                   "category": "infrastructure", "priority": "high",
                                                   "system_id": system["id"]}, actor))
        ideas.append(idea["id"])
    call("PUT", f"{d}/ideas/{ideas[0]}", {"status": "done"}, actor)
    call("PUT", f"{d}/ideas/{ideas[1]}", {"title": "Idea 1 renamed", "priority": "urgent"}, actor)
    call("DELETE", f"{d}/ideas/{ideas[3]}", None, actor)

    rnd = os.urandom
    # NUL bytes and every other byte value: what a text-mode or encoding mistake would spoil.
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16 + bytes(range(256)) + rnd(70000)
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"\x00\x01\x02\x00" + rnd(5000) + b"\n%%EOF\n"
    md = "# Runbook ✓\n\nRestore first, then start.\n".encode()
    gone = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    expect = {}
    for name, content, fields in [("chart.png", png, {"description": "binary with NULs", "idea_id": ideas[0]}),
                                  ("report.pdf", pdf, {"description": "pdf", "system_id": system["id"]}),
                                  ("runbook.md", md, {"description": "text"}),
                                  ("deleted.png", gone, {})]:
        body, headers = multipart(fields, name, content)
        f = data_of(call("POST", f"{d}/files/upload", body, {**headers, **actor}))
        expect[f["id"]] = hashlib.sha256(content).hexdigest()
        if name == "deleted.png":
            call("DELETE", f"{d}/files/{f['id']}", None, actor)
            del expect[f["id"]]
    call("POST", f"{d}/docs/versions/workspace-api", {"type": "minor"}, actor)
    with open(expect_path, "w") as fh:
        json.dump(expect, fh)


def listing(url, key=None):
    doc = call("GET", url)
    rows = data_of(doc)
    if key:
        rows = rows[key]
    total = doc.get("total") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and isinstance(doc.get("pagination"), dict):
        total = doc["pagination"].get("total", total)
    if total is not None and total != len(rows):
        raise SystemExit(f"{url}: {len(rows)} rows of {total}: the listing was cut")
    return rows


def snapshot(ws, doc, out_path, expect_path=None):
    w = f"http://127.0.0.1:{ws}"
    d = f"http://127.0.0.1:{doc}/api/v1"
    snap = {
        "items": listing(f"{w}/api/items?limit=1000&sort=createdAt&order=asc"),
        "categories": listing(f"{w}/api/categories"),
        "workspace_audit": listing(f"{w}/api/audit?limit=1000"),
        "systems": listing(f"{d}/systems?limit=1000&order_by=created_at"),
        "ideas": listing(f"{d}/ideas?limit=1000&order_by=created_at"),
        "files": listing(f"{d}/files?limit=1000&order_by=created_at"),
        # Before any download below, which writes a `download` audit row.
        "documentation_audit": listing(f"{d}/audit?limit=1000"),
        "spec_versions": call("GET", f"{d}/docs/versions/workspace-api"),
    }
    hashes = {}
    for f in snap["files"]:
        status, body = call("GET", f"{d}/files/{f['id']}/download", raw=True)
        hashes[f["id"]] = hashlib.sha256(body).hexdigest()
    snap["downloaded_sha256"] = hashes
    if expect_path:
        expect = json.load(open(expect_path))
        if hashes != expect:
            raise SystemExit(f"downloaded files differ from the uploaded ones: {hashes} != {expect}")
    counts = {k: len(v) for k, v in snap.items() if isinstance(v, list)}
    for need in ("items", "workspace_audit", "ideas", "files", "documentation_audit"):
        if counts[need] == 0:
            raise SystemExit(f"snapshot has no {need}: nothing would be compared")
    with open(out_path, "w") as fh:
        json.dump(snap, fh, indent=1, sort_keys=True, ensure_ascii=False)
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "populate":
        populate(*args)
    elif cmd == "snapshot":
        snapshot(*args)
    else:
        raise SystemExit(__doc__)
