#!/usr/bin/env bash
# radguard-crypt's PKCS#11 key provider against a real token (SoftHSM2):
# encrypt, rotate, destroy (crypto-erase), wrong PIN, missing key, token
# removed mid-batch, through the library and through `radguard`. The tests
# initialise their own tokens in temporary folders (SOFTHSM2_CONF); they
# skip with a note when softhsm2 is absent, so this step installs it first.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v softhsm2-util >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq softhsm2 >/dev/null
fi
softhsm2-util --version

out=$(cargo test --locked -p radguard-crypt --features pkcs11 --test pkcs11 -- --nocapture 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E "^test |test result"
if echo "$out" | grep -q "softhsm2 not installed"; then
  echo "FAIL: the PKCS#11 tests skipped although softhsm2 is installed"; exit 1
fi
out=$(cargo test --locked -p radguard-cli --test crypt_pkcs11 -- --nocapture 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E "^test |test result"
if echo "$out" | grep -q "softhsm2 not installed"; then
  echo "FAIL: the PKCS#11 CLI test skipped although softhsm2 is installed"; exit 1
fi
