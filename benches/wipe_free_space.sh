#!/usr/bin/env bash
# Free-space wipe throughput against dd, on one loop-mounted ext4 image, in
# one run (root only).
#
#   sudo bash benches/wipe_free_space.sh           # 2 GiB image, 3 rounds
#   SIZE_MIB=512 ROUNDS=1 bash benches/wipe_free_space.sh
#   BENCH_DIR=/mnt/disk/tmp bash benches/wipe_free_space.sh
#
# Reference: dd if=/dev/zero of=MNT/fill bs=4M oflag=direct conv=fsync until
#   the file system is full (what "fill the free space with zeros" costs),
#   then rm.
# Measured:
#   radguard wipe --free-space --verify none MNT   (claims every free block,
#     the ext4 reserved clusters included, with zeros: that is the Clear pass;
#     releases the space)
#   radguard wipe --free-space MNT                 (the same and a full
#     read-back; informative)
# MB/s = bytes of free space filled / wall-clock seconds of the whole command
# (1 MB = 10^6 bytes). Rounds are interleaved; each figure is the best round.
# Target: radguard --verify none >= 0.9x dd.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root (losetup, mount)"
  exit 0
fi
SIZE_MIB=${SIZE_MIB:-2048}
ROUNDS=${ROUNDS:-3}
DIR=${BENCH_DIR:-target/bench-wipe-free}

cargo build --release --quiet -p radguard-cli --bin radguard
RG=$PWD/target/release/radguard
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
WORK=$(mktemp -d "$DIR/run.XXXXXX")
LOOP=""
cleanup() {
  umount "$WORK/mnt" 2>/dev/null || true
  if [ -n "$LOOP" ]; then losetup -d "$LOOP" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export XDG_CONFIG_HOME=$WORK/config XDG_STATE_HOME=$WORK/state

truncate -s "${SIZE_MIB}M" "$WORK/fs.img"
mkfs.ext4 -q -F "$WORK/fs.img"
LOOP=$(losetup -f --show "$WORK/fs.img")
mkdir -p "$WORK/mnt"
mount "$LOOP" "$WORK/mnt"
MNT=$WORK/mnt
echo "free-space wipe of a ${SIZE_MIB} MiB ext4 image on $LOOP (backing file in $DIR), $ROUNDS rounds"

now() { date +%s.%N; }
declare -A best_mbs
declare -A bytes_of
record() { # name bytes seconds
  local mbs
  mbs=$(awk "BEGIN{printf \"%.1f\", $2 / $3 / 1e6}")
  bytes_of[$1]=$2
  local cur=${best_mbs[$1]:-}
  if [ -z "$cur" ] || awk "BEGIN{exit !($mbs > $cur)}"; then best_mbs[$1]=$mbs; fi
  printf '  %-28s %6.2f s  %12d bytes  %8s MB/s\n' "$1" "$3" "$2" "$mbs"
}

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r"
  sync
  t0=$(now)
  dd if=/dev/zero of="$MNT/fill" bs=4M oflag=direct conv=fsync status=none 2>/dev/null || true
  sync
  t1=$(now)
  filled=$(stat -c %s "$MNT/fill")
  rm -f "$MNT/fill"
  sync
  record "dd zeros (fill, fsync)" "$filled" "$(awk "BEGIN{print $t1 - $t0}")"

  for verify in none last; do
    sync
    cert=$WORK/cert-$r-$verify.json
    t0=$(now)
    "$RG" wipe --free-space --verify "$verify" --cert "$cert" "$MNT" >/dev/null 2>&1
    t1=$(now)
    wiped=$(python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['certificate']['items'][0]; print(c['passes'][0]['bytes_planned'])" "$cert")
    record "radguard --verify $verify" "$wiped" "$(awk "BEGIN{print $t1 - $t0}")"
  done
done

dd_mbs=${best_mbs["dd zeros (fill, fsync)"]}
echo "best of $ROUNDS:"
for k in "dd zeros (fill, fsync)" "radguard --verify none" "radguard --verify last"; do
  ratio=$(awk "BEGIN{printf \"%.2f\", ${best_mbs[$k]} / $dd_mbs}")
  printf '  %-28s %8s MB/s  %5sx dd   (%d bytes)\n' "$k" "${best_mbs[$k]}" "$ratio" "${bytes_of[$k]}"
done
none=$(awk "BEGIN{print ${best_mbs["radguard --verify none"]} / $dd_mbs}")
if awk "BEGIN{exit !($none >= 0.9)}"; then
  echo "target radguard --verify none >= 0.9x dd: met"
else
  echo "target radguard --verify none >= 0.9x dd: NOT met"
fi
