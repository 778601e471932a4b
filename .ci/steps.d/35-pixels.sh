#!/usr/bin/env bash
# radguard-pixels: every codec feature, and an independent check with pydicom.
#  1. Lint and test the crate with JPEG-LS (CharLS, built with cmake) on top
#     of the default JPEG and JPEG 2000 decoders, the 1,000-frame native
#     cine memory test (ignored by default: 1.8 GB of disk traffic)
#     included.
#  2. Blank a box in the first and last frame of every bundled sample and
#     shared-corpus file, then have pydicom (pylibjpeg, openjpeg, pyjpegls)
#     decode every output and input: inside the boxes the blank value of
#     the standard's rules, outside radguard's decoded input exactly, and
#     radguard's decoding equal to pydicom's (exactly for lossless inputs).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cmake >/dev/null 2>&1 || bash .ci/steps.d/05-build-tools.sh
python3 -m pip install --quiet --disable-pip-version-check pydicom numpy pillow pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pyjpegls 2>&1 | grep -v "Running pip as the 'root' user" || true

cargo clippy -p radguard-pixels --all-targets --features jpegls --locked -- -D warnings
cargo clippy -p radguard-pixels --all-targets --no-default-features --locked -- -D warnings
cargo test -p radguard-pixels --features jpegls --locked -- --include-ignored 2>&1 | grep -E "^test result|FAILED|panicked"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
inputs=(tests/data)
[ -f ../shared/corpus/MANIFEST.tsv ] && inputs+=(../shared/corpus/files)
cargo run --quiet --release -p radguard-pixels --features jpegls --example blank_files -- "$T" "${inputs[@]}"
python3 crates/radguard-pixels/tests/check_pixels.py "$T/manifest.tsv" | tail -n 25
