#!/usr/bin/env python3
"""Synthetic burned-in test set for the Clean Pixel Data option.

Takes real DICOM images (the shared corpus, or the repository's samples),
draws made-up names, patient IDs and dates into their pixels -- at the banner
positions ultrasound and secondary-capture devices use and at random
positions over the anatomy, in several fonts and sizes -- and writes each
file back in its own transfer syntax, so that every codec radguard supports
is exercised. Burned In Annotation (0028,0301) is set to YES and the header
carries the same made-up identity.

    make_set.py SOURCE_DIR OUT_DIR [--per-syntax N] [--max-frames F] [--seed S]

Writes OUT_DIR/files/NNN.dcm and OUT_DIR/truth.json:

    {"files": [{"file": "files/000.dcm", "source": "...", "transfer_syntax": "...",
                "strings": [{"text": "...", "box": [x0, y0, x1, y1], "where": "banner"}]}],
     "skipped": [{"source": "...", "why": "..."}]}

`check_set.py` OCRs the de-identified outputs (and, as a control, these
inputs) and looks for the strings.

Encoders: pydicom for the native syntaxes, deflate, RLE, JPEG-LS (pyjpegls)
and JPEG 2000 (pylibjpeg-openjpeg); DCMTK's dcmcjpeg for the JPEG processes
(baseline, extended, lossless SV1 and process 14). Syntaxes without an
encoder here (HTJ2K, JPEG XL, Deflated Image Frame) are listed as skipped.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEGLossless,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

NATIVE = {ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian,
          DeflatedExplicitVRLittleEndian}
PYDICOM_ENCODERS = {RLELossless, JPEGLSLossless, JPEGLSNearLossless, JPEG2000Lossless, JPEG2000}
DCMTK_JPEG = {JPEGBaseline8Bit: ["+eb", "+q", "92"], JPEGExtended12Bit: ["+ee", "+q", "92"],
              JPEGLosslessSV1: ["+e1"], JPEGLossless: ["+el", "+sv", "6"]}

SURNAMES = ["KOWALSKI", "OKONKWO", "FERREIRA", "LINDQVIST", "HARRINGTON", "NAKAMURA",
            "DUBOIS", "MBEKI", "SCHNEIDER", "RAMIREZ", "OSULLIVAN", "PETROVA"]
GIVEN = ["MARTA", "JOHN", "AMELIE", "TOBIAS", "GRACE", "RAFAEL", "INGRID", "KENJI"]
FONTS = ["DejaVuSans.ttf", "DejaVuSansMono.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf"]


def font(name, size):
    for d in ("/usr/share/fonts/truetype/dejavu",):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return ImageFont.truetype(p, size), name
    # Pillow's own bundled font (always present with FreeType).
    return ImageFont.load_default(size=size), "pillow-default"


def identity(rng):
    surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
    mrn = str(rng.randrange(10**6, 10**7))
    y, m, d = rng.randrange(1930, 2010), rng.randrange(1, 13), rng.randrange(1, 29)
    return {
        "name": f"{surname} {given}", "dicom_name": f"{surname}^{given}", "mrn": mrn,
        "dob": f"{y:04d}{m:02d}{d:02d}",
        "strings": [f"{surname} {given}", f"MRN {mrn}", f"DOB {d:02d}/{m:02d}/{y}"],
        "random": rng.choice([f"{given} {surname}", f"ID {mrn}", f"{surname}"]),
    }


def levels(ds, frames):
    """(dark, bright) stored values that display as black and white."""
    photo = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip()
    if photo in ("RGB",):
        return (0, 0, 0), (255, 255, 255)
    if photo.startswith("YBR"):
        return (0, 128, 128), (255, 128, 128)
    lo, hi = int(frames.min()), int(frames.max())
    if hi - lo < 16:
        bits = int(ds.BitsStored)
        signed = int(ds.get("PixelRepresentation", 0)) == 1
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return (hi, lo) if photo == "MONOCHROME1" else (lo, hi)


def palette_levels(ds):
    """Indices of the darkest and brightest palette entries."""
    from pydicom.pixels import apply_color_lut
    first = int(ds.RedPaletteColorLookupTableDescriptor[1])
    n = int(ds.RedPaletteColorLookupTableDescriptor[0]) or 65536
    idx = np.arange(first, first + n, dtype=np.uint16 if int(ds.BitsAllocated) > 8 else np.uint8)
    rgb = apply_color_lut(idx, ds).astype(np.float64).sum(axis=-1)
    return int(idx[int(rgb.argmin())]), int(idx[int(rgb.argmax())])


def draw(ds, arr, ident, rng):
    """Draws the identity into every frame; returns the drawn strings with boxes."""
    multi = int(ds.get("NumberOfFrames", 1) or 1) > 1
    spp = int(ds.get("SamplesPerPixel", 1))
    frames = arr if multi else arr[np.newaxis, ...]
    rows, cols = frames.shape[1], frames.shape[2]
    photo = str(ds.get("PhotometricInterpretation", "")).strip()
    if photo == "PALETTE COLOR":
        dark, bright = palette_levels(ds)
    else:
        dark, bright = levels(ds, frames)
    box_mask = Image.new("L", (cols, rows), 0)
    text_mask = Image.new("L", (cols, rows), 0)
    bd, td = ImageDraw.Draw(box_mask), ImageDraw.Draw(text_mask)
    drawn = []
    base = max(14, min(40, int(min(rows, cols) * rng.choice([0.05, 0.065, 0.08]))))
    places = ["top-left", "top-right", "bottom-left", "random"]
    for text, where in zip(ident["strings"] + [ident["random"]], places):
        size = base if where != "random" else max(11, int(base * rng.choice([0.8, 1.0, 1.3])))
        fnt, fname = font(rng.choice(FONTS), size)
        while True:
            x0, y0, x1, y1 = td.textbbox((0, 0), text, font=fnt)
            w, h = x1 - x0, y1 - y0
            if w + 8 <= cols or size <= 8:
                break
            size -= 1
            fnt, fname = font(fname if fname != "pillow-default" else FONTS[0], size)
        if w + 8 > cols or h + 8 > rows:
            continue
        pad = max(2, size // 5)
        if where == "top-left":
            x, y = pad, pad
        elif where == "top-right":
            x, y = cols - w - pad, pad + (h + 2 * pad if cols < 2 * (w + 2 * pad) else 0)
        elif where == "bottom-left":
            x, y = pad, rows - h - pad
        else:
            x = rng.randrange(pad, max(pad + 1, cols - w - pad))
            y = rng.randrange(rows // 4, max(rows // 4 + 1, 3 * rows // 4 - h))
        box = [x - pad, y - pad, x + w + pad, y + h + pad]
        if where != "random":  # banners: a dark band behind the text
            bd.rectangle(box, fill=255)
        td.text((x - x0, y - y0), text, font=fnt, fill=255,
                stroke_width=1 if where == "random" else 0, stroke_fill=128)
        drawn.append({"text": text, "box": box, "where": where, "font": fname, "size": size})
    boxm = np.asarray(box_mask) > 127
    textm = np.asarray(text_mask)
    stroke = (textm > 64) & (textm <= 192)
    core = textm > 192
    for f in frames:
        for m, v in ((boxm, dark), (stroke, dark), (core, bright)):
            if spp == 3:
                f[m] = np.asarray(v, dtype=f.dtype)
            else:
                f[m] = v
    return drawn


def encode(ds, arr, ts, path, tmp):
    """Writes ds with pixels `arr` in transfer syntax `ts` to `path`."""
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PixelData = np.ascontiguousarray(arr).tobytes()
    ds["PixelData"].VR = "OB" if int(ds.BitsAllocated) <= 8 else "OW"
    if ts in NATIVE:
        if ts == ExplicitVRBigEndian:
            ds.PixelData = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder(">")).tobytes()
        ds.file_meta.TransferSyntaxUID = ts
        ds.save_as(path, enforce_file_format=True)
    elif ts in PYDICOM_ENCODERS:
        kw = {}
        if ts == JPEGLSNearLossless:
            kw["jls_error"] = 2
        if ts == JPEG2000:
            kw["j2k_cr"] = [15]
        ds.compress(ts, arr, **kw)
        ds.save_as(path, enforce_file_format=True)
    elif ts in DCMTK_JPEG:
        native = os.path.join(tmp, "native.dcm")
        ds.save_as(native, enforce_file_format=True)
        subprocess.run(["dcmcjpeg", *DCMTK_JPEG[ts], native, path], check=True,
                       capture_output=True)
    else:
        raise ValueError("no encoder for this transfer syntax here")
    back = pydicom.dcmread(path)
    if str(back.file_meta.TransferSyntaxUID) != str(ts):
        raise ValueError(f"encoder wrote {back.file_meta.TransferSyntaxUID}")
    back.pixel_array  # decodes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--per-syntax", type=int, default=3)
    ap.add_argument("--max-frames", type=int, default=160)
    ap.add_argument("--seed", type=int, default=7050)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    files_dir = os.path.join(a.out, "files")
    os.makedirs(files_dir, exist_ok=True)
    candidates = []
    for root, _, names in os.walk(a.source):
        for n in sorted(names):
            p = os.path.join(root, n)
            try:
                ds = pydicom.dcmread(p, stop_before_pixels=False)
            except Exception:
                continue
            if "PixelData" not in ds or "Rows" not in ds or "file_meta" not in dir(ds):
                continue
            ts = ds.file_meta.get("TransferSyntaxUID")
            if ts is None:
                continue
            # Devices that burn text in come first within a syntax.
            prone = str(ds.get("Modality", "")) not in ("US", "OT", "XA", "SC", "ES", "XC", "DX", "CR")
            candidates.append((str(ts), prone, p))
    candidates.sort()
    truth, skipped, per_ts = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for ts, _, p in candidates:
            if per_ts.get(ts, 0) >= a.per_syntax:
                continue
            rel = os.path.relpath(p, a.source)
            try:
                ds = pydicom.dcmread(p)
                rows, cols = int(ds.Rows), int(ds.Columns)
                nframes = int(ds.get("NumberOfFrames", 1) or 1)
                if rows < 192 or cols < 192:
                    raise ValueError("smaller than 192x192: too small for legible text")
                if nframes > a.max_frames:
                    raise ValueError(f"{nframes} frames (more than {a.max_frames})")
                if int(ds.BitsAllocated) not in (8, 16) or "FloatPixelData" in ds:
                    raise ValueError("not 8/16-bit integer pixels")
                if ts not in NATIVE | PYDICOM_ENCODERS | set(DCMTK_JPEG):
                    raise ValueError("no encoder for this transfer syntax here")
                if ts in (JPEGBaseline8Bit,) and int(ds.BitsStored) != 8:
                    raise ValueError("baseline JPEG needs 8-bit samples")
                arr = ds.pixel_array.copy()
                photo = str(ds.PhotometricInterpretation).strip()
                if int(ds.get("SamplesPerPixel", 1)) == 3 and photo != "RGB":
                    # pydicom decodes YCbCr JPEG to RGB: say so before re-encoding.
                    ds.PhotometricInterpretation = "RGB"
                if int(ds.get("SamplesPerPixel", 1)) == 3:
                    ds.PlanarConfiguration = 0
                if photo == "YBR_FULL" and (ts in NATIVE or ts == RLELossless):
                    # Keep native and RLE YCbCr images in YCbCr.
                    from pydicom.pixels import convert_color_space
                    arr = convert_color_space(arr, "RGB", "YBR_FULL")
                    ds.PhotometricInterpretation = "YBR_FULL"
                ident = identity(rng)
                drawn = draw(ds, arr, ident, rng)
                if len(drawn) < 3:
                    raise ValueError("image too small for the banners")
                ds.BurnedInAnnotation = "YES"
                ds.PatientName = ident["dicom_name"]
                ds.PatientID = ident["mrn"]
                ds.PatientBirthDate = ident["dob"]
                name = f"{len(truth):03d}.dcm"
                encode(ds, arr, pydicom.uid.UID(ts), os.path.join(files_dir, name), tmp)
            except Exception as e:  # noqa: BLE001 -- any failure skips the source, with why
                skipped.append({"source": rel, "transfer_syntax": ts, "why": str(e)[:200]})
                continue
            per_ts[ts] = per_ts.get(ts, 0) + 1
            truth.append({"file": f"files/{name}", "source": rel, "transfer_syntax": ts,
                          "transfer_syntax_name": pydicom.uid.UID(ts).name,
                          "frames": nframes,
                          "photometric": str(pydicom.dcmread(os.path.join(files_dir, name),
                                                             stop_before_pixels=True).PhotometricInterpretation),
                          "bits_allocated": int(ds.BitsAllocated), "strings": drawn})
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump({"files": truth, "skipped": skipped}, f, indent=1)
    by_ts = {}
    for t in truth:
        by_ts[t["transfer_syntax_name"]] = by_ts.get(t["transfer_syntax_name"], 0) + 1
    for k, v in sorted(by_ts.items()):
        print(f"{v:3d}  {k}")
    print(f"{len(truth)} files written, {len(skipped)} sources skipped")
    return 0 if truth else 1


if __name__ == "__main__":
    sys.exit(main())
