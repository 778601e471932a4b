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
echo "== crypt: encrypt the pixel data at rest, header left readable, then decrypt"
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
