#!/usr/bin/env bash
# radguard-crypt checks that need more than `cargo test` (about 1.5 min):
#  1. pydicom opens every encrypted file; an independent Python implementation
#     of the format (cryptography package) decrypts them to the original pixel
#     data; the files `radguard decrypt` restores equal the originals element
#     for element (bundled samples, plus the shared corpus when present);
#  2. `radguard encrypt` and `decrypt` stay under 128 MiB of RSS on a 1 GiB
#     instance (the debug binary `cargo test` already built: memory does not
#     depend on optimization, and a release build would cost minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! python3 -c "import pydicom, cryptography" 2>/dev/null; then
  pip=(python3 -m pip install --quiet --disable-pip-version-check --user "pydicom==3.0.2" "cryptography==48.0.0")
  "${pip[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages
fi

cargo build --quiet -p radguard-cli --bin radguard
RG=target/debug/radguard

inputs=(tests/data)
corpus="${RADGUARD_CORPUS:-../shared/corpus}"
if [ -d "$corpus/files" ]; then
  inputs+=("$corpus/files")
fi
python3 -W ignore crates/radguard-crypt/tests/pydicom_check.py --radguard "$RG" "${inputs[@]}"
python3 benches/crypt_memory.py --radguard "$RG"
