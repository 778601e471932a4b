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
echo "quick start finished: outputs in $WORK"
