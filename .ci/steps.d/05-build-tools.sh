#!/usr/bin/env bash
# Build tools that optional features need, before any step builds them with
# --all-features (10-api.sh): radguard-pixels' `jpegls` feature builds
# CharLS (C++) from source with cmake.
set -euo pipefail
if ! command -v cmake >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq cmake >/dev/null
fi
cmake --version | head -n 1
