#!/usr/bin/env bash
# API hygiene: the DICOM-free builds, the external types each library crate
# declares it may expose, and the licence/ban/source/advisory policy in
# deny.toml.
set -euo pipefail

echo "--- radguard-crypt without default features (no DICOM)"
cargo build -p radguard-crypt --no-default-features --locked
no_dicom() {
  if cargo tree --locked -e normal "$@" | grep -E '(^|[^a-z-])dicom-' >/dev/null; then
    echo "FAIL: cargo tree $* pulls in dicom-rs"
    exit 1
  fi
}
no_dicom -p radguard-crypt --no-default-features
for c in radguard-wipe radguard-risk radguard-cvss radguard-core; do
  [ -d "crates/$c" ] && no_dicom -p "$c"
done
echo "ok: crypt (no default features), wipe, risk, cvss and core build without dicom-rs"

echo "--- declared external types (cargo-check-external-types on stable, rustdoc JSON v57)"
if ! command -v cargo-check-external-types >/dev/null 2>&1; then
  cargo install --locked cargo-check-external-types@0.5.0
fi
for manifest in crates/*/Cargo.toml; do
  dir=$(dirname "$manifest")
  grep -q '^\[package.metadata.cargo_check_external_types\]' "$manifest" || continue
  echo "$dir"
  (cd "$dir" && RUSTC_BOOTSTRAP=1 cargo check-external-types --all-features)
done

echo "--- cargo deny"
if ! command -v cargo-deny >/dev/null 2>&1; then
  cargo install --locked cargo-deny@0.20.2
fi
cargo deny --locked check licenses bans sources
# The RustSec advisory database lives on GitHub; where it cannot be fetched
# (a closed network) the check is reported as skipped, not passed.
if cargo deny fetch db >/dev/null 2>&1; then
  cargo deny --locked check advisories
else
  echo "SKIPPED: cargo deny check advisories (the RustSec advisory database could not be fetched)"
fi
