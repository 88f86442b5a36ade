#!/usr/bin/env python3
"""An independent check of a freshet registry, for the crash tests: reads index.sqlite and the
version folders directly (not through freshet) and prints one line per inconsistency. Leftovers of a
killed writer (hidden drafts, folders numbered above every committed version) are expected and
counted, not reported. Exit 0 when consistent.

usage: registry_check.py REGISTRY MODEL [--consecutive]"""
import hashlib
import json
import os
import re
import sqlite3
import sys


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    root, model = sys.argv[1], sys.argv[2]
    consecutive = "--consecutive" in sys.argv
    problems = []
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(root, "index.sqlite"), uri=True)
    if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        problems.append("index integrity check failed")
    rows = {n: (state, msha) for n, state, msha in db.execute(
        "SELECT number, state, manifest_sha256 FROM versions WHERE model = ?", (model,))}
    live = sorted(n for n, (state, _) in rows.items() if state == "live")
    top = max(rows) if rows else 0
    mdir = os.path.join(root, model)
    leftovers = 0
    for name in sorted(os.listdir(mdir)) if os.path.isdir(mdir) else []:
        m = re.fullmatch(r"v(\d{6,})", name)
        if name.startswith(".v") and ".tmp-" in name:
            leftovers += 1
        elif m:
            n = int(m.group(1))
            if n not in rows:
                if n > top:
                    leftovers += 1
                else:
                    problems.append("%s: folder without an index row" % name)
    for n in live:
        vdir = os.path.join(mdir, "v%06d" % n)
        mpath = os.path.join(vdir, "manifest.json")
        if not os.path.isfile(mpath):
            problems.append("v%06d: live in the index but has no manifest (half-visible)" % n)
            continue
        if sha256(mpath) != rows[n][1]:
            problems.append("v%06d: manifest.json differs from the index's checksum" % n)
            continue
        manifest = json.load(open(mpath))
        for art, rec in manifest["artifacts"].items():
            p = os.path.join(vdir, art)
            if not os.path.isfile(p) or sha256(p) != rec["sha256"]:
                problems.append("v%06d/%s: missing or changed" % (n, art))
    for name, n in db.execute("SELECT name, number FROM channels WHERE model = ?", (model,)):
        if n not in live:
            problems.append("channel %s holds v%06d, which is not live" % (name, n))
    # Every channel move is an event, and the channel holds what its last event says.
    for name, n in db.execute("SELECT name, number FROM channels WHERE model = ?", (model,)):
        last = db.execute("SELECT version FROM events WHERE model = ? AND channel = ? AND kind IN "
                          "('promote', 'rollback') ORDER BY id DESC LIMIT 1", (model, name)).fetchone()
        if not last or last[0] != n:
            problems.append("channel %s: holds v%06d but its history ends at %s" % (name, n, last))
    if consecutive and live != list(range(1, len(live) + 1)):
        problems.append("version numbers are not consecutive: %s" % live)
    for p in problems:
        print("INCONSISTENT " + p)
    print("checked %d live version(s), %d leftover(s)" % (len(live), leftovers))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
