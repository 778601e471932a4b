#!/usr/bin/env bash
# The radguard Python package (crates/radguard-py), about 4 to 6 minutes:
#  1. clippy on the PyO3 layer (feature `python`, which the workspace build
#     leaves off so that `cargo test --workspace` needs no Python);
#  2. `maturin build --release`: one abi3 wheel (CPython >= 3.9);
#  3. the wheel installed with pip into a fresh venv, then the pytest
#     suite: API round trips, exceptions and their reasons, no PHI in
#     messages, thread safety, reproducibility against the CLI (the debug
#     binary `cargo test` built), the Dask LocalCluster identity test
#     (3 worker processes) and the --shard agreement.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
pipq=(--quiet --disable-pip-version-check)
quiet() { grep -v "Running pip as the 'root' user" || true; }

cargo clippy --quiet -p radguard-py --features python --all-targets --locked -- -D warnings

build="$CARGO_TARGET_DIR/py-build"
[ -x "$build/bin/maturin" ] || { python3 -m venv "$build" && "$build/bin/pip" install "${pipq[@]}" "maturin>=1.9,<2" 2>&1 | quiet; }
rm -rf "$CARGO_TARGET_DIR/wheels"
"$build/bin/maturin" build --release --locked -m crates/radguard-py/Cargo.toml \
  --out "$CARGO_TARGET_DIR/wheels" 2>&1 | grep -E "Built wheel|error|warning" || true
wheel=$(ls "$CARGO_TARGET_DIR"/wheels/radguard-*-abi3-*.whl)

venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install "${pipq[@]}" "$wheel" pytest pydicom "dask[distributed]" fsspec 2>&1 | quiet
"$venv/bin/python" -c 'import radguard, sys; print("radguard", radguard.__version__, "PS3.15", radguard.EDITION, "on Python", sys.version.split()[0])'

cargo build --quiet -p radguard-cli --bin radguard
export RADGUARD_BIN="$CARGO_TARGET_DIR/debug/radguard"
# From a folder outside the source tree, so that `import radguard` is the
# installed wheel, never crates/radguard-py/python.
cd "$venv"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$OLDPWD/crates/radguard-py/tests"
