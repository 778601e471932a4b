#!/usr/bin/env python3
"""End-to-end speed of `radguard encrypt`, file to file on memory-backed
storage, against `openssl speed -evp aes-256-gcm` measured in the same run.

    python3 benches/crypt_e2e.py [--size-mib 256] [--rounds 3] [--radguard PATH] [--small 1000]

1. Baseline: `openssl speed -elapsed -evp aes-256-gcm -bytes 16384` (one
   thread, wall clock), before and after the radguard runs (the mean is
   used; both are printed).
2. `radguard encrypt --jobs 1` and `radguard encrypt` (all cores) of a
   generated native multi-frame instance (`--size-mib`, 1 MiB frames) from
   /dev/shm to /dev/shm: pixel bytes per second of wall clock, best of
   `--rounds`; ratio to the baseline (targets >= 0.6x on one core, >= 1.0x
   on all cores).
   The same-run floor `cp SRC DST` on the same storage is printed too: on
   machines whose OpenSSL has VAES/VPCLMULQDQ, copying the file is already
   slower than 0.6x OpenSSL, and the ratio to `cp` shows how much of the
   I/O floor radguard reaches.
3. The same with the key-encryption key in a PKCS#11 token (SoftHSM2, when
   installed): the ratio again, and instances per second for `--small`
   small files (64 KiB) with the local keyring and with the token (one
   unwrap per instance must not dominate).

Builds the release CLI unless --radguard is given. Needs openssl; SoftHSM2
for part 3 (skipped with a note otherwise). Exits 1 if a target is missed.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crypt_memory  # noqa: E402  (the instance generator)

SOFTHSM_MODULES = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
]


def openssl_speed(elapsed=True):
    """OpenSSL AES-256-GCM encryption, bytes/s, one thread, by wall clock
    (`-elapsed`) or by CPU time (openssl's default)."""
    out = subprocess.run(
        ["openssl", "speed", "-mr", *(["-elapsed"] if elapsed else []), "-seconds", "3",
         "-bytes", "16384", "-evp", "aes-256-gcm"],
        capture_output=True, text=True, check=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("+F:"):
            return float(line.rsplit(":", 1)[1])
    sys.exit("cannot parse openssl speed output")


def timed(cmd, env=None):
    """Wall seconds and CPU seconds (user + system, all threads) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, cpu


def best_encrypt(rg, key_args, src, out_root, jobs, rounds, env=None):
    """Best wall-clock seconds of `radguard encrypt` over `rounds` runs, and
    the CPU seconds of that run."""
    best = None
    for i in range(rounds):
        out = os.path.join(out_root, f"enc-{jobs}-{i}")
        cmd = [rg, "encrypt", *key_args, "-o", out]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        dt, cpu = timed(cmd + [src], env)
        shutil.rmtree(out)
        if best is None or dt < best[0]:
            best = (dt, cpu)
    return best


def small_files(folder, n, size=64 * 1024):
    os.makedirs(folder)
    frames = 1
    rows, cols = crypt_memory.ROWS, crypt_memory.COLS
    try:
        crypt_memory.ROWS, crypt_memory.COLS = 128, size // 256
        proto = os.path.join(folder, "proto.dcm")
        crypt_memory.write_instance(proto, frames)
    finally:
        crypt_memory.ROWS, crypt_memory.COLS = rows, cols
    data = open(proto, "rb").read()
    os.remove(proto)
    for i in range(n):
        with open(os.path.join(folder, f"f{i:05d}.dcm"), "wb") as f:
            f.write(data)


def softhsm(work):
    """(env, key arguments) for a fresh SoftHSM2 token with one key, or None."""
    module = next((m for m in SOFTHSM_MODULES if os.path.exists(m)), None)
    if module is None or shutil.which("softhsm2-util") is None:
        return None
    tokens = os.path.join(work, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(work, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = dict(os.environ, SOFTHSM2_CONF=conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", "1234",
                    "--so-pin", "12345678"], env=env, check=True, stdout=subprocess.DEVNULL)
    pin = os.path.join(work, "pin")
    with open(pin, "w") as f:
        f.write("1234")
    os.chmod(pin, 0o600)
    args = ["--pkcs11-module", module, "--pkcs11-token", "bench", "--pkcs11-pin-file", pin]
    return env, args


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--radguard")
    args = ap.parse_args()
    root = os.path.dirname(HERE)
    rg = args.radguard
    if rg is None:
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "radguard-cli", "--bin",
                        "radguard"], cwd=root, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
        rg = os.path.join(target, "release", "radguard")
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    if shm is None:
        print("note: no /dev/shm; using the default temporary folder")
    cores = os.cpu_count() or 1
    ok = True
    with tempfile.TemporaryDirectory(prefix="radguard-e2e-", dir=shm) as d:
        frames = args.size_mib
        src = os.path.join(d, "in", "big.dcm")
        os.makedirs(os.path.dirname(src))
        length, _ = crypt_memory.write_instance(src, frames)
        ring = os.path.join(d, "keyring")
        subprocess.run([rg, "keys", "new", "--keyring", ring], check=True,
                       stdout=subprocess.DEVNULL)
        local = ["--keyring", ring]
        base1 = openssl_speed()
        base_cpu = openssl_speed(elapsed=False)
        # The I/O floor: copying the same file on the same storage.
        cp_best = None
        for i in range(args.rounds):
            dst = os.path.join(d, f"cp-{i}.dcm")
            dt, _ = timed(["cp", src, dst])
            os.remove(dst)
            cp_best = dt if cp_best is None else min(cp_best, dt)
        t1 = best_encrypt(rg, local, src, d, 1, args.rounds)
        tn = best_encrypt(rg, local, src, d, None, args.rounds)
        hsm = softhsm(os.path.join(d, "hsm"))
        if hsm is not None:
            env, hargs = hsm
            subprocess.run([rg, "keys", "rotate", *hargs, "--id", "bench-kek"], env=env,
                           check=True, stdout=subprocess.DEVNULL)
            hargs_enc = hargs + ["--key-label", "bench-kek"]
            h1 = best_encrypt(rg, hargs_enc, src, d, 1, args.rounds, env)
            hn = best_encrypt(rg, hargs_enc, src, d, None, args.rounds, env)
        base2 = openssl_speed()
        base = (base1 + base2) / 2
        print(f"baseline  openssl speed -elapsed -evp aes-256-gcm, 16 KiB, one thread: "
              f"{base / 1e9:.2f} GB/s (before {base1 / 1e9:.2f}, after {base2 / 1e9:.2f})")
        print(f"          by CPU time: {base_cpu / 1e9:.2f} GB/s; load average "
              f"{os.getloadavg()[0]:.1f} on {cores} cores")
        print(f"floor     cp of the same file on the same storage: {length / cp_best / 1e9:.2f} GB/s "
              f"= {length / cp_best / base:.2f}x openssl")
        print(f"instance  {length >> 20} MiB native, {frames} frames, /dev/shm to /dev/shm, "
              f"{cores} cores, best of {args.rounds}")

        def report(name, run, target):
            nonlocal ok
            secs, cpu = run
            speed = length / secs
            ratio = speed / base
            met = ratio >= target
            ok = ok and met
            print(f"  {name:<34} {secs:6.3f} s  {speed / 1e9:5.2f} GB/s  {ratio:4.2f}x openssl "
                  f"(target >= {target:.1f}x: {'meets target' if met else 'BELOW TARGET'}); "
                  f"{cp_best / secs:.2f}x cp; CPU {cpu:.3f} s")

        report("encrypt --jobs 1, keyring", t1, 0.6)
        report(f"encrypt (all {cores} cores), keyring", tn, 1.0)
        if hsm is not None:
            report("encrypt --jobs 1, PKCS#11 token", h1, 0.6)
            report(f"encrypt (all {cores} cores), PKCS#11", hn, 1.0)
        else:
            print("  note: softhsm2 not installed, PKCS#11 runs skipped")
        os.remove(src)

        if args.small:
            small = os.path.join(d, "small")
            small_files(small, args.small)
            tl = best_encrypt(rg, local, small, d, None, args.rounds)[0]
            print(f"{args.small} small instances (64 KiB), all cores:")
            print(f"  local keyring   {args.small / tl:8.0f} instances/s")
            if hsm is not None:
                th = best_encrypt(rg, hargs_enc, small, d, None, args.rounds, env)[0]
                print(f"  PKCS#11 token   {args.small / th:8.0f} instances/s "
                      f"({tl / th:.2f}x the keyring's rate)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
