#!/usr/bin/env bash
# radguard-pixfind with text detection (feature `ocr`): installs Tesseract
# from Debian, then lints and tests the crate with the feature on (the
# README's `cargo test --workspace` builds it without). The OCR tests draw
# names, IDs and dates onto corpus ultrasound images (or speckle when the
# corpus is absent) and check recall and the re-check.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! dpkg -s libtesseract-dev libleptonica-dev libclang-dev tesseract-ocr >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr libtesseract-dev libleptonica-dev libclang-dev >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check pillow numpy pydicom 2>&1 | grep -v "Running pip as the 'root' user" || true
cargo clippy -p radguard-pixfind --all-targets --features ocr --locked -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cargo test -p radguard-pixfind --features ocr --release --locked -- --nocapture >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
grep -E "^(detection:|note:)|test result" "$log"
RUSTDOCFLAGS="-D warnings" cargo doc -p radguard-pixfind --features ocr --no-deps --locked
