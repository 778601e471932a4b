#!/usr/bin/env python3
"""Independent OCR check of a burned-in test set (see make_set.py).

Decodes images with pydicom, renders each checked frame to 8-bit grey
(enlarged twice when small), and runs Tesseract (pytesseract) on it twice,
as one block of text and as sparse text. A drawn string counts as found when one of its
words of four or more letters or digits (a surname, a given name, the MRN
digits, the year of birth) appears in the recognised text (one misread
character allowed in words of six or more).

    check_set.py SET_DIR --control            # OCR the inputs: the drawn strings must be found
    check_set.py SET_DIR --pairs PAIRS.tsv    # OCR the de-identified outputs: nothing may be found

PAIRS.tsv maps each input path to its output (the paths.csv that
`radguard deid --mapping` writes, as tab-separated lines); inputs without an
output were refused and are counted as such. Multi-frame files are checked
on up to --frames frames spread over the file, first and last included
(the drawn text is on every frame).

Exit status: 0 when the control finds at least --min-recall of the drawn
strings, or when no output shows any drawn string; 1 otherwise.
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import pydicom
import pytesseract
from PIL import Image


def frames_of(ds, limit):
    arr = ds.pixel_array
    n = int(ds.get("NumberOfFrames", 1) or 1)
    if n == 1:
        return [arr]
    picks = sorted({round(i * (n - 1) / max(1, limit - 1)) for i in range(min(n, limit))})
    return [arr[i] for i in picks]


def to_grey(ds, frame):
    photo = str(ds.get("PhotometricInterpretation", "")).strip()
    if photo == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut
        rgb = apply_color_lut(frame, ds).astype(np.float64)
        grey = rgb.mean(axis=-1)
    elif frame.ndim == 3:
        if photo.startswith("YBR") and photo != "YBR_FULL_422":
            from pydicom.pixels import convert_color_space
            frame = convert_color_space(frame, photo, "RGB")
        grey = frame.astype(np.float64).mean(axis=-1)
    else:
        grey = frame.astype(np.float64)
    lo, hi = float(grey.min()), float(grey.max())
    grey = (grey - lo) / (hi - lo) * 255.0 if hi > lo else grey * 0
    if photo == "MONOCHROME1":
        grey = 255.0 - grey
    return Image.fromarray(grey.astype(np.uint8))


def ocr(img):
    """Recognised text (letters and digits only, upper case). Small images
    are read enlarged twice; large ones reduced to 1600 pixels."""
    side = max(img.size)
    scale = 2.0 if side < 1000 else min(1.0, 1600 / side)
    if scale != 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BICUBIC)
    # Two page segmentations: a uniform block (reads banners best) and
    # sparse text (finds isolated words anywhere).
    texts = [pytesseract.image_to_string(img, config=f"--psm {psm}") for psm in (6, 11)]
    return re.sub(r"[^A-Z0-9]", "", " ".join(texts).upper())


def needles(text):
    return [w for w in re.findall(r"[A-Z0-9]+", text.upper()) if len(w) >= 4]


def contains(text, needle):
    """`needle` in `text`, allowing one misread character in needles of six
    or more (OCR confuses O/Q/D, 1/I...)."""
    if needle in text:
        return True
    if len(needle) < 6:
        return False
    n = len(needle)
    for i in range(len(text) - n + 1):
        if sum(a != b for a, b in zip(text[i:i + n], needle)) <= 1:
            return True
    return False


def found_strings(path, strings, limit):
    ds = pydicom.dcmread(path)
    seen = set()
    for frame in frames_of(ds, limit):
        text = ocr(to_grey(ds, frame))
        for i, s in enumerate(strings):
            if any(contains(text, n) for n in needles(s["text"])):
                seen.add(i)
    return seen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("set_dir")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--control", action="store_true")
    g.add_argument("--pairs")
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--min-recall", type=float, default=0.8)
    a = ap.parse_args()
    truth = json.load(open(os.path.join(a.set_dir, "truth.json")))["files"]
    if a.control:
        drawn = hits = 0
        for t in truth:
            seen = found_strings(os.path.join(a.set_dir, t["file"]), t["strings"], a.frames)
            drawn += len(t["strings"])
            hits += len(seen)
            if len(seen) < len(t["strings"]):
                print(f"control: {t['file']} ({t['transfer_syntax_name']}): "
                      f"{len(seen)}/{len(t['strings'])} drawn strings read")
        recall = hits / drawn if drawn else 0.0
        print(f"control: {hits}/{drawn} drawn strings read by OCR in the inputs (recall {recall:.2f})")
        return 0 if recall >= a.min_recall else 1
    outputs = {}
    with open(a.pairs) as f:
        for line in f:
            src, _, dst = line.rstrip("\n").partition("\t")
            if dst:
                outputs[os.path.realpath(src)] = dst
    leaks = cleaned = refused = 0
    for t in truth:
        src = os.path.realpath(os.path.join(a.set_dir, t["file"]))
        out = outputs.get(src)
        if out is None:
            refused += 1
            continue
        cleaned += 1
        ds = pydicom.dcmread(out)
        if str(ds.get("BurnedInAnnotation", "")).strip() != "NO":
            print(f"{t['file']}: output's Burned In Annotation is not NO")
            leaks += 1
        seen = found_strings(out, t["strings"], a.frames)
        if seen:
            leaks += 1
            print(f"LEAK {t['file']} ({t['transfer_syntax_name']}): OCR reads {len(seen)} drawn string(s)")
    print(f"burned-in set: {cleaned} cleaned, {refused} refused, {leaks} with drawn text still readable")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
