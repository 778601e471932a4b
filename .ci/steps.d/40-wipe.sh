#!/usr/bin/env bash
# radguard-wipe: the root-only loop-device tests: markers (ext4, ext4
# data=journal, btrfs, block devices, free space, refusals, interrupts) and
# boundaries (bind mounts, stacked loop devices, devices held open under
# another node, tune2fs journal_data, inline_data, 200 small deleted files
# and the ext4 reserved clusters, the fill of a dead run).
# `cargo test --workspace` already ran them, but they skip themselves when a
# tool is missing; here the tools are installed first and
# RADGUARD_REQUIRE_LOOP_TESTS=1 turns any skip into a failure.
# Runs in about a minute on top of the workspace test build.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: radguard-wipe loop-device tests need root (losetup, mount)"
  exit 0
fi
if [ ! -e /dev/loop-control ]; then
  echo "SKIP: radguard-wipe loop-device tests: no /dev/loop-control on this machine"
  exit 0
fi

need=()
command -v mkfs.btrfs >/dev/null 2>&1 || need+=(btrfs-progs)
command -v mkfs.ext4 >/dev/null 2>&1 || need+=(e2fsprogs)
command -v losetup >/dev/null 2>&1 || need+=(mount)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need[@]}" >/dev/null
  }
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
for t in loop_devices loop_boundaries; do
  RADGUARD_REQUIRE_LOOP_TESTS=1 cargo test -p radguard-wipe --test "$t" -- --test-threads=2 --nocapture >>"$log" 2>&1 || rc=$?
done
# The CLI end to end on loop devices: keyring raw-image search, rotation
# metadata, a SIGKILLed free-space wipe, certificates that cannot be saved.
RADGUARD_REQUIRE_LOOP_TESTS=1 cargo test -p radguard-cli --test erase_loop -- --test-threads=1 --nocapture >>"$log" 2>&1 || rc=$?
grep -E '^(test |SKIP|ext4|btrfs|block device|free space|bind|keyring|rotate|certificates)|test result' "$log" || true
if [ "$rc" != 0 ]; then
  tail -n 60 "$log"
  exit "$rc"
fi
