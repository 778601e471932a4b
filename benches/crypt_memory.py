#!/usr/bin/env python3
"""Peak memory of `radguard encrypt` and `radguard decrypt` on a 1 GiB
instance: both must stay under 128 MiB of resident memory (max RSS).

    python3 benches/crypt_memory.py [--size-mib 1024] [--radguard PATH]

Builds the release CLI unless --radguard is given, generates a 1 GiB native
multi-frame instance (1,024 frames of 1 MiB) in a temporary folder (about
3 GiB of disk for plain, encrypted and decrypted files), runs each command
in a wrapper process that reads that command's peak RSS from
getrusage(RUSAGE_CHILDREN), and checks that the decrypted pixel data hashes to the original. Exits 1 if
a budget is exceeded or the round trip differs. Needs only Python 3.
"""
import argparse
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import time

BUDGET_MIB = 128
ROWS, COLS = 512, 1024  # 1 MiB frames of 16-bit samples


def element(group, elem, vr, value):
    """An Explicit VR Little Endian element with a short length field."""
    if len(value) % 2:
        value += b"\0" if vr == b"UI" else b" "
    return struct.pack("<HH", group, elem) + vr + struct.pack("<H", len(value)) + value


def write_instance(path, frames):
    """Writes the instance, streaming the pixel data; returns its SHA-256."""
    sop = b"2.25.1234567890"
    meta_body = (
        struct.pack("<HH", 2, 1) + b"OB\0\0" + struct.pack("<I", 2) + b"\0\1"
        + element(2, 2, b"UI", b"1.2.840.10008.5.1.4.1.1.7.2")
        + element(2, 3, b"UI", sop)
        + element(2, 0x10, b"UI", b"1.2.840.10008.1.2.1")
        + element(2, 0x12, b"UI", b"2.25.1")
    )
    meta = element(2, 0, b"UL", struct.pack("<I", len(meta_body))) + meta_body
    header = (
        element(8, 0x16, b"UI", b"1.2.840.10008.5.1.4.1.1.7.2")
        + element(8, 0x18, b"UI", sop)
        + element(0x28, 2, b"US", struct.pack("<H", 1))
        + element(0x28, 8, b"IS", str(frames).encode())
        + element(0x28, 0x10, b"US", struct.pack("<H", ROWS))
        + element(0x28, 0x11, b"US", struct.pack("<H", COLS))
        + element(0x28, 0x100, b"US", struct.pack("<H", 16))
    )
    frame_len = ROWS * COLS * 2
    length = frame_len * frames
    digest = hashlib.sha256()
    block = bytearray(os.urandom(frame_len))
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + meta + header)
        f.write(struct.pack("<HH", 0x7FE0, 0x10) + b"OW\0\0" + struct.pack("<I", length))
        for i in range(frames):
            block[0:4] = struct.pack("<I", i)  # every frame differs
            f.write(block)
            digest.update(block)
    return length, digest.hexdigest()


def pixel_digest(path, length):
    """SHA-256 of the (7FE0,0010) OW value of a radguard-written file."""
    tag = struct.pack("<HH", 0x7FE0, 0x10) + b"OW\0\0" + struct.pack("<I", length)
    with open(path, "rb") as f:
        head = f.read(1 << 16)
        at = head.find(tag)
        if at < 0:
            return None
        f.seek(at + len(tag))
        digest = hashlib.sha256()
        left = length
        while left:
            chunk = f.read(min(left, 8 << 20))
            if not chunk:
                return None
            digest.update(chunk)
            left -= len(chunk)
        return digest.hexdigest()


# Runs its arguments as a child and reports that child's peak RSS (KiB) on
# its last stderr line: getrusage(RUSAGE_CHILDREN) of a fresh process sees
# only the command measured (not cargo, not earlier commands).
WRAPPER = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(r.returncode)\n"
)


def run(cmd):
    """Runs a command; returns (seconds, its peak RSS in MiB)."""
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], stderr=subprocess.PIPE)
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    peak_kib = int(err.strip().splitlines()[-1])
    return time.monotonic() - t, peak_kib / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--radguard", help="an already built radguard binary")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rg = args.radguard
    if rg is None:
        subprocess.run(
            ["cargo", "build", "--release", "--quiet", "-p", "radguard-cli", "--bin", "radguard"],
            cwd=root, check=True,
        )
        rg = os.path.join(root, "target", "release", "radguard")
    frames = args.size_mib * (1 << 20) // (ROWS * COLS * 2)
    with tempfile.TemporaryDirectory(prefix="radguard-crypt-memory-", dir=os.environ.get("TMPDIR")) as d:
        ring = os.path.join(d, "keyring")
        plain = os.path.join(d, "in", "big.dcm")
        os.makedirs(os.path.dirname(plain))
        length, want = write_instance(plain, frames)
        os.sync()  # do not time the write-back of the generated file
        subprocess.run([rg, "keys", "new", "--keyring", ring], check=True, stdout=subprocess.DEVNULL)
        enc_s, enc_mib = run([rg, "encrypt", "--keyring", ring, "-o", os.path.join(d, "enc"), plain])
        os.remove(plain)  # keep the disk footprint down
        dec_s, dec_mib = run([rg, "decrypt", "--keyring", ring, "-o", os.path.join(d, "dec"),
                              os.path.join(d, "enc", "big.dcm")])
        got = pixel_digest(os.path.join(d, "dec", "big.dcm"), length)
    gib = length / (1 << 30)
    print(f"instance: {length >> 20} MiB, {frames} frames")
    print(f"encrypt: {enc_s:.1f} s ({gib / enc_s:.2f} GiB/s), peak RSS {enc_mib:.1f} MiB")
    print(f"decrypt: {dec_s:.1f} s ({gib / dec_s:.2f} GiB/s), peak RSS {dec_mib:.1f} MiB")
    ok = True
    if got != want:
        print("FAIL: the decrypted pixel data differs from the original")
        ok = False
    for name, mib in (("encrypt", enc_mib), ("decrypt", dec_mib)):
        if mib >= BUDGET_MIB:
            print(f"FAIL: {name} peak RSS {mib:.1f} MiB >= {BUDGET_MIB} MiB")
            ok = False
    if ok:
        print(f"OK: round trip exact, peak RSS under {BUDGET_MIB} MiB")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
