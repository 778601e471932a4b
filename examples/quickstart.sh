#!/bin/sh
# radguard quick start: runs the main jobs on the bundled sample data.
#   sh examples/quickstart.sh
# Builds the `radguard` binary, then works in target/quickstart/.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --quiet -p radguard-cli --bin radguard
RG=target/release/radguard
WORK=target/quickstart
rm -rf "$WORK"
mkdir -p "$WORK"

echo "== 1. inspect: a PHI-free summary of a bundled sample"
"$RG" inspect tests/data/dicom3tools/0051.dcm

echo
echo "== 2. risk: score the bundled reference inventory of imaging devices (MIRS)"
D=tests/data/risk
"$RG" risk score "$D/reference-scenarios.yaml" --kev "$D/kev-sample.json" \
  --epss "$D/epss-sample.csv" --as-of 2026-01-15
"$RG" risk score "$D/reference-scenarios.yaml" --kev "$D/kev-sample.json" \
  --epss "$D/epss-sample.csv" --as-of 2026-01-15 --format html -o "$WORK/risk-report.html"
"$RG" risk explain "$D/reference-scenarios.yaml" S01-CT-ED --kev "$D/kev-sample.json" \
  --epss "$D/epss-sample.csv" --as-of 2026-01-15 | head -n 12
"$RG" risk cvss CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A

echo
echo "== 3. crypt: encrypt the pixel data at rest, header left readable, then decrypt"
# A keyring file of key-encryption keys (mode 0600; keys never on the command line).
"$RG" keys new --keyring "$WORK/keyring"
"$RG" keys list --keyring "$WORK/keyring"
"$RG" encrypt --keyring "$WORK/keyring" -o "$WORK/encrypted" tests/data/dicom3tools/0051.dcm
# The encrypted file is still DICOM with its header readable; the pixel data is gone.
"$RG" inspect "$WORK/encrypted/0051.dcm" | grep -E "^  (SOP class|pixel data)"
"$RG" decrypt --keyring "$WORK/keyring" -o "$WORK/decrypted" "$WORK/encrypted/0051.dcm"
"$RG" inspect "$WORK/decrypted/0051.dcm" | grep -E "^  pixel data"

echo
echo "quick start finished: outputs in $WORK"
