#!/usr/bin/env python3
"""De-identification in bounded memory and linear time, with every option,
and the regression check against an earlier build, in one run.

    python3 benches/deid_memory.py [--baseline PATH_TO_OLD_RADGUARD] [--corpus DIR]

Part 1 (bounded memory, linear time). Generates headers that drive cleaning
hard: an Enhanced MR header with N frames (a per-frame functional group
item each, with dates, times, UIDs and free text), and a header with N
distinct person names (Other Patient Names, plus free text quoting them).
Each is de-identified with the option groups that exercise cleaning
(clean-descriptors, clean-structured-content, clean-graphics,
retain-long-modified-dates, retain-safe-private) under `/usr/bin/time`:
peak RSS (target < 64 MiB for a header of at most 1 MB) and seconds, at
sizes N, 2N and 4N (time should double with the size).

Part 2 (no regression). With `--baseline`, the same input tree (the shared
corpus when present, else the bundled samples copied 20 times) is
de-identified by the baseline binary and by this build, each on one core
and on all cores, best of 3; prints the time ratio new/old (target <=
1.05). Both runs use `--layout mirror` where the build knows it, so the
work is the same.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPTIONS = [
    "clean-descriptors",
    "clean-structured-content",
    "clean-graphics",
    "retain-long-modified-dates",
    "retain-safe-private",
]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_pydicom():
    try:
        import pydicom  # noqa: F401
    except ImportError:
        sh([sys.executable, "-m", "pip", "install", "--quiet", "pydicom"])


def build():
    sh(["cargo", "build", "--release", "--quiet", "-p", "radguard-cli"], cwd=ROOT)
    return os.path.join(ROOT, "target", "release", "radguard")


def base_ds():
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4.1"  # Enhanced MR
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.99.7.1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.99.7.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.99.7.3"
    ds.PatientName = "Yamada^Tarou=山田^太郎"
    ds.PatientID = "MRN998877"
    ds.PatientBirthDate = "19600102"
    ds.StudyDate = "20240131"
    ds.StudyTime = "101010"
    ds.StudyDescription = "MR brain for Yamada Tarou, born 1960-01-02"
    ds.BurnedInAnnotation = "NO"
    return ds


def save(ds, path):
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)
    return os.path.getsize(path)


def enhanced_mr(n, path):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = base_ds()
    frames = []
    for i in range(n):
        fc = Dataset()
        fc.FrameAcquisitionDateTime = f"20240131{10 + i % 10:02d}{i % 60:02d}{i % 60:02d}.{i:06d}"
        fc.FrameReferenceDateTime = fc.FrameAcquisitionDateTime
        fc.FrameComment = f"frame {i} of Yamada Tarou"
        fc.StackID = "1"
        fc.InStackPositionNumber = i + 1
        pp = Dataset()
        pp.ImagePositionPatient = [0, 0, i * 0.5]
        item = Dataset()
        item.FrameContentSequence = Sequence([fc])
        item.PlanePositionSequence = Sequence([pp])
        ref = Dataset()
        ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
        ref.ReferencedSOPInstanceUID = f"1.2.826.0.1.3680043.99.8.{i}"
        item.DerivationImageSequence = Sequence([Dataset()])
        item.DerivationImageSequence[0].SourceImageSequence = Sequence([ref])
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    ds.NumberOfFrames = n
    return save(ds, path)


def many_names(n, path):
    ds = base_ds()
    names = [f"Fam{i:05d}x^Giv{i * 7 % 99991:05d}y" for i in range(n)]
    ds.OtherPatientNames = names
    ds.ImageComments = " ".join(n.replace("^", " ") for n in names[: min(n, 2000)])
    return save(ds, path)


def timed_rss(cmd):
    """(seconds, peak RSS in KiB) of one run."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t
    rss = int(r.stderr.strip().splitlines()[-1])
    return secs, rss, r.returncode


def part1(rg, tmp):
    key = os.path.join(tmp, "key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(key, 0o600)
    print("bounded memory and linear time, options:", ", ".join(OPTIONS))
    print(f"{'workload':<28} {'header KiB':>10} {'seconds':>8} {'peak RSS MiB':>12} {'exit':>4}")
    for name, make, sizes in (
        ("enhanced MR, frames", enhanced_mr, (1500, 3000, 6000)),
        ("distinct person names", many_names, (10000, 20000, 40000)),
    ):
        for n in sizes:
            path = os.path.join(tmp, f"{make.__name__}-{n}.dcm")
            size = make(n, path)
            out = os.path.join(tmp, f"out-{make.__name__}-{n}")
            cmd = [rg, "deid", "-j", "1", "-o", out, "--key-file", key]
            for o in OPTIONS:
                cmd += ["--option", o]
            cmd.append(path)
            secs, rss, rc = timed_rss(cmd)
            print(f"{name + ' ' + str(n):<28} {size / 1024:>10.0f} {secs:>8.2f} {rss / 1024:>12.1f} {rc:>4}")


def tree(tmp):
    corpus = os.path.join(ROOT, "..", "shared", "corpus", "files")
    if os.path.isdir(corpus):
        return corpus, "shared corpus"
    src = os.path.join(ROOT, "tests", "data")
    dst = os.path.join(tmp, "samples")
    for i in range(20):
        shutil.copytree(src, os.path.join(dst, f"c{i}"))
    return dst, "bundled samples x 20"


def knows_layout(rg):
    return "--layout" in subprocess.run([rg, "deid", "--help"], capture_output=True, text=True).stdout


def best_of(n, cmd, out):
    best = None
    for _ in range(n):
        shutil.rmtree(out, ignore_errors=True)
        sh(["sync"])
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True)
        s = time.perf_counter() - t
        best = s if best is None else min(best, s)
    return best


def part2(rg, old, tmp):
    src, what = tree(tmp)
    key = os.path.join(tmp, "key2")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(key, 0o600)
    print(f"\nno regression: {what}, best of 3, --allow-burned-in, Basic Profile")
    for jobs in (["-j", "1"], []):
        times = {}
        for label, binary in (("old", old), ("new", rg)):
            out = os.path.join(tmp, f"reg-{label}")
            cmd = [binary, "deid", *jobs, "-o", out, "--key-file", key, "--allow-burned-in"]
            if knows_layout(binary):
                cmd += ["--layout", "mirror"]
            cmd.append(src)
            times[label] = best_of(3, cmd, out)
        ratio = times["new"] / times["old"]
        print(f"  {'one core' if jobs else 'all cores':<9}: old {times['old']:.2f} s, new {times['new']:.2f} s, time ratio new/old {ratio:.3f} (target <= 1.05)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", help="an earlier radguard binary to compare with")
    args = ap.parse_args()
    ensure_pydicom()
    rg = build()
    with tempfile.TemporaryDirectory() as tmp:
        part1(rg, tmp)
        if args.baseline:
            part2(rg, args.baseline, tmp)


if __name__ == "__main__":
    main()
