#!/bin/sh
# radguard quick start: runs the main jobs on the bundled sample data.
#   sh examples/quickstart.sh
# Builds the `radguard` binary, then works in target/quickstart/.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --quiet -p radguard-cli --bin radguard
RG=target/release/radguard
WORK=target/quickstart            # intermediate files: wiped by the last step
RESULTS=target/quickstart-results # what the quick start leaves for you to look at
rm -rf "$WORK" "$RESULTS"
mkdir -p "$WORK" "$RESULTS"

echo "== 1. inspect: a PHI-free summary of a bundled sample"
"$RG" inspect tests/data/dicom3tools/0051.dcm

echo
echo "== 2. deid: de-identify bundled samples (PS3.15 2026c Basic Profile, keyed and reproducible)"
# A de-identification key: 32 random bytes, readable by its owner only.
head -c 32 /dev/urandom > "$WORK/deid.key"
chmod 600 "$WORK/deid.key"
"$RG" deid -o "$WORK/deid" --key-file "$WORK/deid.key" --audit "$WORK/deid-audit.jsonl" \
  tests/data/dicom3tools/0051.dcm tests/data/pydicom/MR_small.dcm tests/data/pydicom/test-SR.dcm \
  tests/data/pydicom-data/emri_small.dcm tests/data/dicognito/p01_s01_s01_i01.dcm \
  tests/data/dicognito/CT_small_deflated.dcm
"$RG" deid --explain 0010,0010
"$RG" inspect "$WORK/deid/MR_small.dcm"
echo "audit records: $(wc -l < "$WORK/deid-audit.jsonl")"

echo
echo "== 3. risk: score the bundled reference inventory of imaging devices (MIRS)"
D=tests/data/risk
"$RG" risk score "$D/reference-scenarios.yaml" --kev "$D/kev-sample.json" \
  --epss "$D/epss-sample.csv" --as-of 2026-01-15
"$RG" risk score "$D/reference-scenarios.yaml" --kev "$D/kev-sample.json" \
  --epss "$D/epss-sample.csv" --as-of 2026-01-15 --format html -o "$RESULTS/risk-report.html"
"$RG" risk explain "$D/reference-scenarios.yaml" S01-CT-ED --kev "$D/kev-sample.json" \
  --epss "$D/epss-sample.csv" --as-of 2026-01-15 | head -n 12
"$RG" risk cvss CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A

echo
echo
echo "== 4. crypt: encrypt the pixel data at rest, header left readable, then decrypt"
# A keyring file of key-encryption keys (mode 0600; keys never on the command line).
"$RG" keys new --keyring "$WORK/keyring"
"$RG" keys list --keyring "$WORK/keyring"
"$RG" encrypt --keyring "$WORK/keyring" -o "$WORK/encrypted" tests/data/dicom3tools/0051.dcm
# The encrypted file is still DICOM with its header readable; the pixel data is gone.
"$RG" inspect "$WORK/encrypted/0051.dcm" | grep -E "^  (SOP class|pixel data)"
"$RG" decrypt --keyring "$WORK/keyring" -o "$WORK/decrypted" "$WORK/encrypted/0051.dcm"
"$RG" inspect "$WORK/decrypted/0051.dcm" | grep -E "^  pixel data"


echo "== 9. wipe: sanitize the quick start's intermediate files (NIST SP 800-88 Clear) and certify it"
# Everything the steps above left in $WORK is intermediate; gather it in one
# folder (a rename: the data blocks stay where they are) and wipe that folder.
# The signing key lives in $WORK/config, so the quick start never touches
# your own configuration folder.
STAGE="$WORK/intermediate"
mkdir -p "$STAGE"
for f in "$WORK"/* "$WORK"/.[!.]*; do
  [ -e "$f" ] || continue
  [ "$f" = "$STAGE" ] && continue
  mv "$f" "$STAGE"/
done
if [ -z "$(ls -A "$STAGE")" ]; then
  echo "(no intermediate files from earlier steps: wiping a copy of the sample instead)"
  cp tests/data/dicom3tools/0051.dcm "$STAGE"/
fi
export XDG_CONFIG_HOME="$PWD/$WORK/config"
CERT="$WORK/wipe-certificate.json"
"$RG" wipe --verify last --cert "$CERT" "$STAGE"
"$RG" cert verify --public-key "$XDG_CONFIG_HOME/radguard/wipe-signing.pub" "$CERT"
"$RG" cert show --public-key "$XDG_CONFIG_HOME/radguard/wipe-signing.pub" "$CERT"
test ! -e "$STAGE"

echo
echo "quick start finished: certificate in $CERT, risk report in $RESULTS/risk-report.html"
