#!/usr/bin/env python3
"""Check that no dependency of a published workspace crate declares a
rust-version newer than the workspace's own rust-version.

The machine has one toolchain, so the MSRV cannot be proven by building
with an old compiler; this checks the next best thing: every crate in the
resolved graph of the library crates says it builds on our rust-version,
and clippy's `incompatible_msrv` lint (clippy.toml `msrv`) flags any use of
a std API newer than it.
"""
import json
import subprocess
import sys


def ver(s):
    parts = [int(p) for p in s.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--locked"]))
pkgs = {p["id"]: p for p in meta["packages"]}
members = [pkgs[i] for i in meta["workspace_members"]]
ours = {p["rust_version"] for p in members if p.get("rust_version")}
if len(ours) != 1:
    sys.exit(f"workspace crates disagree on rust-version: {ours}")
msrv = ver(ours.pop())

# Dependency graph of the published (library) crates, normal deps only.
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
roots = [p["id"] for p in members if p.get("publish") != []]
seen, stack = set(), list(roots)
while stack:
    i = stack.pop()
    if i in seen:
        continue
    seen.add(i)
    for d in nodes[i]["deps"]:
        if any(k["kind"] is None for k in d["dep_kinds"]):
            stack.append(d["pkg"])

bad = [(pkgs[i]["name"], pkgs[i]["version"], pkgs[i]["rust_version"])
       for i in sorted(seen)
       if pkgs[i].get("rust_version") and ver(pkgs[i]["rust_version"]) > msrv]
print(f"rust-version {'.'.join(map(str, msrv))}: {len(seen)} crates in the library graphs checked")
if bad:
    for b in bad:
        print("  needs newer toolchain:", *b)
    sys.exit(1)
