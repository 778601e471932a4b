#!/usr/bin/env bash
# Clean Pixel Data (radguard-deid option 113101) end to end, with Tesseract.
#  1. Lint and run radguard-deid's Clean Pixel Data tests with the `ocr`
#     feature (the synthetic ultrasound fixture: text gone, nothing outside
#     the listed rectangles changed, markers, refusals).
#  2. A burned-in test set: made-up names, IDs and dates drawn into real
#     images of every transfer syntax DCMTK and pydicom can encode (the
#     shared corpus when ../shared/corpus is present, else the bundled
#     samples), then
#       - a control pass: an independent OCR checker (pydicom + Tesseract,
#         not radguard's code) must read at least 80 % of the drawn strings
#         in the inputs, so that a "no leak" below means something;
#       - `radguard deid --option clean-pixel-data` on the set, and the
#         checker on every output it wrote: no drawn string may be readable
#         (exit 1 on any leak). Refused files are counted by reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/steps.d/05-build-tools.sh >/dev/null
if ! dpkg -s dcmtk fonts-dejavu-core >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk fonts-dejavu-core >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check pydicom numpy pillow pytesseract pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pyjpegls 2>&1 | grep -v "Running pip as the 'root' user" || true

cargo clippy -p radguard-deid --all-targets --features ocr,jpegls --locked -- -D warnings
cargo test -p radguard-deid --features ocr --locked --test clean_pixels 2>&1 | grep -E "^test |test result|panicked"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
src=tests/data
[ -f ../shared/corpus/MANIFEST.tsv ] && src=../shared/corpus/files
BI=crates/radguard-deid/tests/burned_in
python3 "$BI/make_set.py" "$src" "$T/set" | tail -n 3
python3 "$BI/check_set.py" "$T/set" --control | tail -n 1

cargo build --quiet --release --locked -p radguard-cli --features ocr,jpegls
head -c 32 /dev/urandom >"$T/key"
chmod 600 "$T/key"
set +e
target/release/radguard deid --key-file "$T/key" --option clean-pixel-data \
  -o "$T/out" --mapping "$T/map" "$T/set/files" >"$T/run.log" 2>&1
rc=$?
set -e
tail -n 2 "$T/run.log"
# 0: all cleaned; 1: some refused (counted below); anything else fails.
[ "$rc" -le 1 ] || { cat "$T/run.log"; exit 1; }
echo "refused, by reason:"
grep -o "could not be cleaned: .*" "$T/run.log" | sed -E 's/[0-9]+ word\(s\)/N word(s)/; s/frame [0-9]+/frame K/' | sort | uniq -c | sort -rn || true
python3 -c 'import csv,sys; r=csv.reader(open(sys.argv[1])); next(r); [print(f"{a}\t{b}") for a, b in r]' "$T/map/paths.csv" >"$T/pairs.tsv"
python3 "$BI/check_set.py" "$T/set" --pairs "$T/pairs.tsv" | tail -n 5
