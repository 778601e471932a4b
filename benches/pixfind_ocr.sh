#!/usr/bin/env bash
# radguard-pixfind: per-frame cost of text detection and the re-check on one
# core, against full Tesseract recognition of the same frames in the same
# run, and the cost of matching the bundled pixel rules.
# Needs Debian tesseract-ocr libtesseract-dev libleptonica-dev libclang-dev,
# and python3 with Pillow and numpy (pydicom for corpus images).
set -euo pipefail
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 crates/radguard-pixfind/tests/fixtures/make_frames.py "$T/frames" 5
cargo build --quiet --release -p radguard-pixfind --features ocr --example ocr_bench
hdr=../shared/corpus/files/pypi-pydicom-data-1.0.0/OBXXXX1A.dcm
[ -f "$hdr" ] || hdr=""
OMP_THREAD_LIMIT=1 taskset -c 0 "${CARGO_TARGET_DIR:-target}/release/examples/ocr_bench" "$T/frames" $hdr
