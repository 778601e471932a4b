#!/usr/bin/env python3
"""Clean Pixel Data throughput: radguard against pydicom/deid, in one run.

    python3 benches/cpd_compare.py [--corpus DIR] [--radguard PATH]
                                   [--frame-cost-frames N] [--cine-frames N]

1. The workload: the files of --corpus (default ../shared/corpus/files, else
   tests/data) that `radguard deid` refuses today for burned-in
   annotation. Same files, one after the other:
   * `radguard deid` header only (`--allow-burned-in`, `-j 1`): the floor;
   * `radguard deid --option clean-pixel-data`, `-j 1` and all cores
     (rules, ultrasound regions, text detection and the re-check);
   * pydicom/deid's `DicomCleaner` (deid's default recipe: detect, clean,
     save), one process.
   Prints frames/s of each, files cleaned or refused, ratios.
2. The cost of text detection per frame: a synthetic 640 x 480 8-bit
   ultrasound clip with a banner of made-up text, N frames (default 20),
   `-j 1`: (clean-pixel-data time - header-only time) / N.
3. A long cine (default 1,000 frames of 640 x 480): peak resident memory of
   `radguard deid --option clean-pixel-data -j 1`.

The radguard binary must be built with `--features ocr,jpegls` (built here
when --radguard is not given). pydicom/deid is installed with pip into a
virtual environment under target/ when missing.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benches"))
from deid_compare import dicom_files, run_timed  # noqa: E402

PY_DEID = r"""
import os, sys
from deid.dicom import DicomCleaner
src, dst = sys.argv[1], sys.argv[2]
client = DicomCleaner(output_folder=dst)
cleaned = flagged = failed = 0
for f in sorted(os.listdir(src)):
    p = os.path.join(src, f)
    try:
        r = client.detect(p)
        if r.get("flagged"):
            flagged += 1
            client.clean()
            client.save_dicom()
            cleaned += 1
    except Exception as e:
        failed += 1
print(cleaned, flagged, failed)
"""

MAKE_CLIP = r"""
import sys, numpy as np, pydicom
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out, n = sys.argv[1], int(sys.argv[2])
W, H = 640, 480
rng = np.random.default_rng(1)
y, x = np.mgrid[0:H, 0:W]
ang = np.degrees(np.arctan2(x - W / 2, y + 80)); r = np.hypot(x - W / 2, y + 80)
fan = (np.abs(ang) < 35) & (r > 180) & (r < 540)
base = Image.new("L", (W, H))
d = ImageDraw.Draw(base)
try:
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 18)
except OSError:
    font = ImageFont.load_default()
d.text((10, 8), "DOE JANE  ID 48213377  15/03/1961", fill=255, font=font)
banner = np.asarray(base)
frames = np.empty((n, H, W), np.uint8)
for i in range(n):
    f = np.zeros((H, W), np.float64)
    f[fan] = 50 + 25 * rng.rayleigh(1.0, fan.sum())
    f = np.clip(f, 0, 200).astype(np.uint8)
    frames[i] = np.maximum(f, banner)
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = pydicom.Dataset(); ds.file_meta = meta
ds.SOPClassUID = meta.MediaStorageSOPClassUID; ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.StudyInstanceUID = generate_uid(); ds.SeriesInstanceUID = generate_uid()
ds.PatientName = "DOE^JANE"; ds.PatientID = "48213377"; ds.Modality = "US"
ds.BurnedInAnnotation = "YES"; ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"
ds.NumberOfFrames = n; ds.Rows, ds.Columns = H, W
ds.BitsAllocated = 8; ds.BitsStored = 8; ds.HighBit = 7; ds.PixelRepresentation = 0
ds.PixelData = frames.tobytes()
ds.save_as(out, enforce_file_format=True)
"""


def frames_of(path):
    import pydicom
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return int(ds.get("NumberOfFrames", 1) or 1)


def deid_python():
    venv = os.path.join(ROOT, "target", "bench-deid-venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    r = subprocess.run([py, "-c", "import deid.dicom"], capture_output=True)
    if r.returncode != 0:
        subprocess.run([py, "-m", "pip", "install", "--quiet", "deid", "pylibjpeg",
                        "pylibjpeg-libjpeg", "pylibjpeg-openjpeg"], check=True)
    return py


def radguard(rg, key, out, inputs, *extra, jobs=1):
    cmd = [rg, "deid", "--key-file", key, "-o", out, "--jobs", str(jobs), *extra, *inputs]
    return run_timed(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = os.path.join(ROOT, "..", "shared", "corpus", "files")
    ap.add_argument("--corpus", default=default if os.path.isdir(default) else os.path.join(ROOT, "tests", "data"))
    ap.add_argument("--radguard")
    ap.add_argument("--frame-cost-frames", type=int, default=20)
    ap.add_argument("--cine-frames", type=int, default=1000)
    a = ap.parse_args()
    rg = a.radguard
    if not rg:
        subprocess.run(["cargo", "build", "--quiet", "--release", "--locked", "-p", "radguard-cli",
                        "--features", "ocr,jpegls"], cwd=ROOT, check=True)
        rg = os.path.join(ROOT, "target", "release", "radguard")
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as t:
        key = os.path.join(t, "key")
        with open(key, "wb") as f:
            f.write(os.urandom(32))
        os.chmod(key, 0o600)
        # 1. The files refused today for burned-in annotation.
        files = dicom_files(a.corpus)
        r = subprocess.run([rg, "deid", "--key-file", key, "-o", os.path.join(t, "probe"), *files],
                           capture_output=True, text=True)
        refused = sorted({m.group(1) for m in re.finditer(r"warning: (.+?): refused: .*burned", r.stderr)})
        work = os.path.join(t, "in")
        os.makedirs(work)
        for i, p in enumerate(refused):
            shutil.copy(p, os.path.join(work, f"{i:04}.dcm"))
        frames = sum(frames_of(os.path.join(work, f)) for f in os.listdir(work))
        print(f"workload: {len(refused)} files refused for burned-in annotation today, {frames} frames ({a.corpus})")
        hdr, hdr_rss = radguard(rg, key, os.path.join(t, "h"), [work], "--allow-burned-in")
        runs = {}
        for jobs in (1, cores):
            out = os.path.join(t, f"c{jobs}")
            dt, rss = radguard(rg, key, out, [work], "--option", "clean-pixel-data", jobs=jobs)
            n_out = sum(len(fs) for _, _, fs in os.walk(out))
            runs[jobs] = (dt, rss, n_out)
        py = deid_python()
        dst = os.path.join(t, "deid")
        os.makedirs(dst)
        start = time.perf_counter()
        r = subprocess.run([py, "-c", PY_DEID, work, dst], capture_output=True, text=True, check=True)
        deid_dt = time.perf_counter() - start
        d_clean, d_flag, d_fail = (int(x) for x in r.stdout.split())
        print(f"{'run':<44} {'s':>8} {'frames/s':>10} {'RSS MiB':>8}  result")
        print(f"{'radguard header only (-j 1)':<44} {hdr:8.2f} {frames / hdr:10.1f} {hdr_rss:8.0f}")
        for jobs, (dt, rss, n_out) in runs.items():
            print(f"{f'radguard clean-pixel-data (-j {jobs})':<44} {dt:8.2f} {frames / dt:10.1f} {rss:8.0f}"
                  f"  {n_out} cleaned, {len(refused) - n_out} refused")
        print(f"{'pydicom/deid DicomCleaner (1 process)':<44} {deid_dt:8.2f} {frames / deid_dt:10.1f} {'':>8}"
              f"  {d_flag} flagged, {d_clean} cleaned, {d_fail} failed")
        one = runs[1][0]
        print(f"ratio radguard -j 1 / pydicom/deid frames/s: {deid_dt / one:.2f}x; "
              f"-j {cores}: {deid_dt / runs[cores][0]:.2f}x; clean-pixel-data / header-only time: {one / hdr:.1f}x")

        # 2. Detection cost per 640 x 480 frame.
        clip = os.path.join(t, "clip")
        os.makedirs(clip)
        subprocess.run([sys.executable, "-c", MAKE_CLIP, os.path.join(clip, "clip.dcm"),
                        str(a.frame_cost_frames)], check=True)
        h, _ = radguard(rg, key, os.path.join(t, "ch"), [clip], "--allow-burned-in")
        c, _ = radguard(rg, key, os.path.join(t, "cc"), [clip], "--option", "clean-pixel-data")
        cleaned = sum(len(fs) for _, _, fs in os.walk(os.path.join(t, "cc")))
        per = (c - h) / a.frame_cost_frames * 1000
        print(f"text detection + re-check: {per:.0f} ms per 640x480 frame on one core "
              f"({a.frame_cost_frames} frames, clip {'cleaned' if cleaned else 'refused'})")

        # 3. A long cine: peak RSS.
        cine = os.path.join(t, "cine")
        os.makedirs(cine)
        subprocess.run([sys.executable, "-c", MAKE_CLIP, os.path.join(cine, "cine.dcm"),
                        str(a.cine_frames)], check=True)
        size = os.path.getsize(os.path.join(cine, "cine.dcm")) / 2**20
        dt, rss = radguard(rg, key, os.path.join(t, "co"), [cine], "--option", "clean-pixel-data")
        cleaned = sum(len(fs) for _, _, fs in os.walk(os.path.join(t, "co")))
        print(f"cine of {a.cine_frames} frames ({size:.0f} MiB): {dt:.1f} s, peak RSS {rss:.0f} MiB "
              f"(target < 256), {'cleaned' if cleaned else 'refused'}")


if __name__ == "__main__":
    main()
