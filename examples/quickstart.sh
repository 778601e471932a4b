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
echo "== 2. wipe: sanitize the quick start's intermediate files (NIST SP 800-88 Clear) and certify it"
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
echo "quick start finished: outputs in $WORK"
