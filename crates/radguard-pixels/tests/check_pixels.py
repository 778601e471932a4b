#!/usr/bin/env python3
"""Independent check of radguard-pixels' outputs with pydicom.

Reads the manifest written by `cargo run -p radguard-pixels --example
blank_files -- OUT INPUT...` and, for every cleaned file:

1. pydicom decodes the output, and inside the rectangles every sample is
   the blank value of the decoded photometric interpretation (recomputed
   here from the standard's rules: MONOCHROME2 smallest, MONOCHROME1
   largest, RGB 0, YBR_FULL Y=0 Cb=Cr=2^(bits-1), PALETTE COLOR the entry
   of least luma);
2. outside them, pydicom's decoded output equals radguard's decoded input
   exactly (lossless storage of what radguard decoded);
3. pydicom's decoded input equals radguard's decoded input: exactly for
   lossless transfer syntaxes, within a small tolerance for lossy JPEG
   (two decoders' IDCT and upsampling differ by a few levels);
4. the output's transfer syntax is lossless, and a lossy input keeps Lossy
   Image Compression "01".

Exit status 1 on any failure of 1, 2, 4 or of 3 on a lossless input.
"""
import sys

import numpy as np
import pydicom
from pydicom.pixels import pixel_array

LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}
MAYBE_LOSSY = {"1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.203"}
LOSSLESS_OUT = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2",
                "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.80"}


RLE = "1.2.840.10008.1.2.5"


def values(arr, bits_stored, high_bit, signed):
    """Sample values as the standard reads them (Bits Stored ending at High Bit)."""
    a = arr.astype(np.int64)
    low = high_bit + 1 - bits_stored
    v = (a >> low) & ((1 << bits_stored) - 1)
    if signed:
        v = np.where(v >> (bits_stored - 1) & 1, v - (1 << bits_stored), v)
    return v


def shaped(arr, frames, rows, cols):
    a = np.asarray(arr)
    return a.reshape(frames, rows, cols, -1)


def ours(raw_path, ds, photometric, bits, frames):
    dtype = {8: np.uint8, 16: np.uint16, 32: np.uint32}[bits]
    a = np.fromfile(raw_path, dtype=np.dtype(dtype).newbyteorder("<"))
    rows, cols = int(ds.Rows), int(ds.Columns)
    if photometric == "YBR_FULL_422":
        # Native 4:2:2 pairs Y0 Y1 Cb Cr -> (Y, Cb, Cr) per pixel.
        p = a.reshape(frames, rows, cols // 2, 4)
        out = np.empty((frames, rows, cols, 3), dtype=a.dtype)
        out[:, :, 0::2, 0], out[:, :, 1::2, 0] = p[..., 0], p[..., 1]
        for s, k in ((1, 2), (2, 3)):
            out[:, :, 0::2, s] = p[..., k]
            out[:, :, 1::2, s] = p[..., k]
        return out
    return a.reshape(frames, rows, cols, -1)


def blank_expected(ds, photometric, bits_stored, signed):
    lo, hi = (-(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1) if signed else (0, (1 << bits_stored) - 1)
    mid = 1 << (bits_stored - 1)
    return {
        "MONOCHROME2": [lo], "MONOCHROME1": [hi], "RGB": [0, 0, 0],
        "YBR_FULL": [0, mid, mid], "YBR_FULL_422": [0, mid, mid],
    }.get(photometric)


def palette_luma(ds):
    lut = []
    for c in ("Red", "Green", "Blue"):
        desc = ds[f"{c}PaletteColorLookupTableDescriptor"].value
        data = ds[f"{c}PaletteColorLookupTableData"].value
        n = desc[0] or 65536
        arr = np.frombuffer(data, dtype="<u2") if len(data) >= 2 * n else np.frombuffer(data, dtype="u1")
        lut.append(arr[:n].astype(np.int64))
    first = int(desc[1])
    luma = 299 * lut[0] + 587 * lut[1] + 114 * lut[2]
    return first, luma


def rects_of(spec):
    out = []
    for part in spec.split(";"):
        k, r = part.split(":")
        x, y, w, h = map(int, r.split(","))
        out.append((int(k), x, y, w, h))
    return out


def main(manifest):
    failures, lossy_stats, checked, no_py_input, refused = [], [], 0, 0, 0
    for line in open(manifest):
        f = line.rstrip("\n").split("\t")
        if len(f) < 12:
            refused += 1
            continue
        inp, out, raw, photometric, bits, signed, frames, ts_in, ts_out, lossy, spec, blank = f
        bits, signed, frames = int(bits), signed == "1", int(frames)
        name = inp
        try:
            dso = pydicom.dcmread(out)
        except Exception as e:  # noqa: BLE001
            failures.append(f"{name}: pydicom cannot read the output: {e}")
            continue
        if ts_out not in LOSSLESS_OUT:
            failures.append(f"{name}: output transfer syntax {ts_out} is not lossless")
        if ts_out == RLE and ts_in == RLE:
            # RLE segments are per sample whatever Planar Configuration
            # says: the input's value stays (US YBR_FULL requires 1).
            pin = pydicom.dcmread(inp, stop_before_pixels=True).get("PlanarConfiguration")
            if pin is not None and dso.get("PlanarConfiguration") != pin:
                failures.append(f"{name}: RLE output changed Planar Configuration {pin} -> {dso.get('PlanarConfiguration')}")
        if lossy == "1" and str(dso.get("LossyImageCompression", "")).strip() != "01":
            failures.append(f"{name}: lossy input lost its Lossy Image Compression 01")
        rows, cols = int(dso.Rows), int(dso.Columns)
        bs = int(dso.get("BitsStored", bits))
        hb = int(dso.get("HighBit", bs - 1))
        as_rgb = photometric == "RGB"
        try:
            py_out = shaped(pixel_array(dso, as_rgb=as_rgb), frames, rows, cols)
        except Exception as e:  # noqa: BLE001
            try:
                pixel_array(pydicom.dcmread(inp), as_rgb=as_rgb)
            except Exception:  # noqa: BLE001
                # pydicom reads neither (e.g. a Type 1 attribute missing in
                # the input, kept as it was): nothing to compare with.
                no_py_input += 1
                checked += 1
                continue
            failures.append(f"{name}: pydicom cannot decode the output ({ts_out}): {e}")
            continue
        mine = ours(raw, dso, photometric, bits, frames)
        py_out_v = values(py_out, bs, hb, signed)
        mine_v = values(mine, bs, hb, signed)
        if py_out_v.shape != mine_v.shape:
            failures.append(f"{name}: shapes differ {py_out_v.shape} vs {mine_v.shape}")
            continue
        mask = np.zeros(mine_v.shape[:3], dtype=bool)
        for k, x, y, w, h in rects_of(spec):
            if photometric == "YBR_FULL_422":
                x2 = min(cols, (x + w + 1) & ~1)
                x = x & ~1
                w = x2 - x
            mask[k, y:y + h, x:x + w] = True
        # 1. blank inside
        inside = py_out_v[mask]
        want = blank_expected(dso, photometric, bs, signed)
        if photometric == "PALETTE COLOR":
            first, luma = palette_luma(dso)
            idx = np.clip(inside[:, 0] - first, 0, len(luma) - 1)
            if inside.size and not np.all(luma[idx] == luma.min()):
                failures.append(f"{name}: blanked palette pixels are not the darkest entry")
        elif want is None:
            failures.append(f"{name}: no blank rule for {photometric}")
        elif inside.size and not np.all(inside == np.array(want)):
            failures.append(f"{name}: pixels inside the rectangles are not {want}")
        # 2. outside identical to radguard's decoded input
        diff = py_out_v[~mask] != mine_v[~mask]
        if diff.any():
            failures.append(f"{name}: {int(diff.sum())} samples outside the rectangles differ from the decoded input")
        # 3. pydicom's decoded input against radguard's
        try:
            dsi = pydicom.dcmread(inp)
            py_in = values(shaped(pixel_array(dsi, as_rgb=as_rgb), frames, rows, cols), bs, hb, signed)
        except Exception:  # noqa: BLE001
            no_py_input += 1
            checked += 1
            continue
        if py_in.shape != mine_v.shape:
            failures.append(f"{name}: pydicom decodes the input to {py_in.shape}, radguard to {mine_v.shape}")
        else:
            d = np.abs(py_in - mine_v)
            if ts_in in LOSSY or (ts_in in MAYBE_LOSSY and d.max() > 0 and lossy == "1"):
                lossy_stats.append((name, ts_in, int(d.max()), float(d.mean())))
                if d.mean() > 1.5:
                    failures.append(f"{name}: lossy input decodes differently from pydicom (mean {d.mean():.2f})")
            elif d.max() > 0:
                failures.append(f"{name}: pydicom decodes the lossless input differently ({int((d > 0).sum())} samples, max {int(d.max())})")
        checked += 1
    for n, ts, mx, mean in lossy_stats:
        print(f"lossy input vs pydicom: max |diff| {mx}, mean {mean:.3f}  {ts}  {n}")
    for x in failures:
        print("FAIL", x)
    print(f"{checked - len(failures)} passed, {len(failures)} failed: {checked} cleaned files checked with pydicom "
          f"({no_py_input} inputs pydicom cannot decode itself), {refused} refused by radguard")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
