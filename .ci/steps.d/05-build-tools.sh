#!/usr/bin/env bash
# Build tools that optional features need, before any step builds them with
# --all-features (10-api.sh): radguard-pixels' `jpegls` feature builds
# CharLS (C++) from source with cmake; the `ocr` feature of
# radguard-pixfind and radguard-deid links Tesseract and Leptonica (bindings
# generated with libclang).
set -euo pipefail
if ! command -v cmake >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq cmake >/dev/null
fi
cmake --version | head -n 1
if ! dpkg -s libtesseract-dev libleptonica-dev libclang-dev tesseract-ocr >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr libtesseract-dev libleptonica-dev libclang-dev >/dev/null
fi
tesseract --version 2>&1 | head -n 1
