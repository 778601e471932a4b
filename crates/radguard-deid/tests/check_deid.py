#!/usr/bin/env python3
"""Independent checker for radguard-deid outputs, reading with pydicom.

Usage: check_deid.py PAIRS.tsv [--options opt1,opt2]

PAIRS.tsv has one "input<TAB>output" line per de-identified file. For each
pair, with the Basic Profile (and the listed options) of PS3.15 2026c Table
E.1-1 (read from this crate's data/ folder):

* no original value of an attribute whose action removes or replaces it
  (X, Z, D, U and the composites) survives in the same attribute anywhere
  in the output; no original UID of a U attribute and no original person
  name appears in any value of the output;
* no private attribute remains (unless retain-safe-private);
* markers: (0012,0062) YES, (0012,0063) present, (0012,0064) with 113100
  and a code per option, (0028,0303) consistent with the date options;
* file meta: MediaStorageSOPInstanceUID = SOPInstanceUID, radguard's
  implementation class UID, no source/sending/receiving AE titles;
* preamble all zero; Pixel Data (and float pixel data) bit-identical.

Exits 1 and lists every violation if any.
"""
import csv
import os
import sys

import pydicom
from pydicom.tag import Tag

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
IMPL_UID = "2.25.163270457613953460932917034004862226761"
OPT_COLUMNS = {
    "retain-safe-private": "rtn_safe_priv",
    "retain-uids": "rtn_uids",
    "retain-device-identity": "rtn_dev_id",
    "retain-institution-identity": "rtn_inst_id",
    "retain-patient-characteristics": "rtn_pat_chars",
    "retain-long-full-dates": "rtn_long_full_dates",
    "retain-long-modified-dates": "rtn_long_modif_dates",
    "clean-descriptors": "clean_desc",
    "clean-structured-content": "clean_struct_cont",
    "clean-graphics": "clean_graph",
}
OPT_CODES = {
    "retain-safe-private": "113111", "retain-uids": "113110", "retain-device-identity": "113109",
    "retain-institution-identity": "113112", "retain-patient-characteristics": "113108",
    "retain-long-full-dates": "113106", "retain-long-modified-dates": "113107",
    "clean-descriptors": "113105", "clean-structured-content": "113104", "clean-graphics": "113103",
}
MARKERS = {"YES", "NO", "REMOVED", "MODIFIED", "UNMODIFIED"}
DUMMIES = {"ANONYMIZED", "ANONYMOUS", "19000101", "000000", "19000101000000", "0", "000Y", "2.25.0", ""}


def load_rules(options):
    rules = {}
    with open(os.path.join(DATA, "ps3.15-table-e1-1.csv"), newline="") as f:
        for row in csv.DictReader(f):
            t = row["tag"].strip("()")
            g, e = t.split(",")
            if "x" in g.lower() or "x" in e.lower() or "g" in g.lower():
                continue
            action = row["basic_profile"]
            opt_actions = [row[OPT_COLUMNS[o]] for o in options if row[OPT_COLUMNS[o]]]
            if opt_actions:
                action = "C" if "C" in opt_actions else "K"
            rules[Tag(int(g, 16), int(e, 16))] = action


    return rules


def removing(action):
    return action not in ("K", "C", None)


def norm(v):
    if v is None:
        return ""
    if isinstance(v, (bytes, bytearray)):
        try:
            v = v.decode("latin-1")
        except Exception:
            return ""
    if isinstance(v, (list, tuple, pydicom.multival.MultiValue)):
        return "\\".join(norm(x) for x in v)
    return str(v).strip().rstrip("\0").strip()


def walk(ds):
    for el in ds:
        yield el
        if el.VR == "SQ" and el.value is not None:
            for item in el.value:
                yield from walk(item)


def check_pair(inp, out, rules, options):
    problems = []
    try:
        din = pydicom.dcmread(inp, force=True)
    except Exception as exc:  # inputs pydicom cannot read are skipped
        return [f"SKIP input unreadable by pydicom: {type(exc).__name__}"]
    try:
        dout = pydicom.dcmread(out)
    except Exception as exc:
        return [f"output unreadable by pydicom: {exc}"]
    retain_private = "retain-safe-private" in options

    originals = {}
    uid_values, names = set(), set()
    try:
        elements = list(walk(din))
    except Exception as exc:
        return [f"SKIP input not fully readable by pydicom: {type(exc).__name__}"]
    kept_values = set()
    for el in elements:
        tag = el.tag
        if el.VR == "SQ" or tag.group in (0x0002, 0x7FE0):
            continue
        action = rules.get(tag)
        private = tag.group % 2 == 1
        if not (removing(action) or (private and not retain_private)):
            kept_values.add(norm(el.value))
            continue
        v = norm(el.value)
        if v in DUMMIES or len(v) < 2:
            continue
        originals.setdefault(tag, set()).add(v)
        # With Retain UIDs the same UID may legitimately stay in a kept attribute.
        if action == "U" and len(v) > 8 and "retain-uids" not in options:
            uid_values.add(v)
        if el.VR == "PN" and len(v) >= 4:
            names.add(v)

    for el in walk(dout):
        tag = el.tag
        if tag.group % 2 == 1 and not retain_private and tag.group > 8:
            problems.append(f"private attribute {tag} kept")
            continue
        if el.VR == "SQ" or tag.group == 0x7FE0:
            continue
        v = norm(el.value)
        if v and v in originals.get(tag, ()):
            problems.append(f"original value survived in {tag} {el.keyword}")
        if v and v not in MARKERS and v not in kept_values and (v in uid_values or v in names):
            problems.append(f"original UID or name appears in {tag} {el.keyword}")

    # Markers
    if dout.get((0x0012, 0x0062)) is None or norm(dout[0x0012, 0x0062].value) not in ("YES", "NO"):
        problems.append("Patient Identity Removed missing")
    if dout.get((0x0012, 0x0063)) is None:
        problems.append("De-identification Method missing")
    codes = set()
    if (0x0012, 0x0064) in dout:
        codes = {norm(i.CodeValue) for i in dout[0x0012, 0x0064].value if "CodeValue" in i}
    want = {"113100"} | {OPT_CODES[o] for o in options}
    if codes != want:
        problems.append(f"method codes {sorted(codes)} != {sorted(want)}")
    temporal = "UNMODIFIED" if "retain-long-full-dates" in options else (
        "MODIFIED" if "retain-long-modified-dates" in options else "REMOVED")
    if norm(dout.get((0x0028, 0x0303)).value if (0x0028, 0x0303) in dout else None) != temporal:
        problems.append("Longitudinal Temporal Information Modified wrong or missing")

    # File meta and preamble
    fm = dout.file_meta
    if norm(fm.get("MediaStorageSOPInstanceUID")) != norm(dout.get("SOPInstanceUID")):
        problems.append("MediaStorageSOPInstanceUID differs from SOPInstanceUID")
    if norm(fm.get("ImplementationClassUID")) != IMPL_UID:
        problems.append("ImplementationClassUID is not radguard's")
    for kw in ("SourceApplicationEntityTitle", "SendingApplicationEntityTitle", "ReceivingApplicationEntityTitle"):
        if kw in fm:
            problems.append(f"file meta keeps {kw}")
    if dout.preamble is None or any(dout.preamble):
        problems.append("preamble not zeroed")
    if "retain-uids" not in options and norm(din.get("SOPInstanceUID")) == norm(dout.get("SOPInstanceUID")):
        problems.append("SOP Instance UID not replaced")

    # Pixel data: bit-identical, or (where radguard removed metadata from
    # inside compressed frames, or cleared bits outside Bits Stored) the
    # same decoded pixel values, decoded by pydicom's own handlers.
    for t in (0x7FE00010, 0x7FE00008, 0x7FE00009):
        a, b = din.get(t), dout.get(t)
        if a is None and b is not None:
            continue  # pydicom could not read the input's pixel data (e.g. no delimiter)
        if (a is None) != (b is None):
            problems.append(f"pixel element {Tag(t)} presence changed")
        elif a is not None:
            va, vb = bytes(a.value), bytes(b.value)
            # An odd-length value is padded to even length with one zero byte.
            if not (va == vb or (len(va) % 2 == 1 and vb == va + b"\0")):
                why = same_pixels(din, dout)
                if why:
                    problems.append(f"pixel element {Tag(t)} changed: {why}")
    return problems


def same_pixels(din, dout):
    """None if both decode to equal values (masked to Bits Stored), else why not."""
    import numpy as np

    try:
        if din.file_meta.TransferSyntaxUID != dout.file_meta.TransferSyntaxUID:
            # radguard read the input's transfer syntax differently (a file
            # meta group that pydicom reads otherwise): decode the input
            # the way its output says it is encoded.
            din.file_meta.TransferSyntaxUID = dout.file_meta.TransferSyntaxUID
        pa, pb = din.pixel_array, dout.pixel_array
    except Exception as e:  # no handler for this transfer syntax, or undecodable
        native = not din.file_meta.TransferSyntaxUID.is_compressed
        if native and din.get("BitsAllocated") in (8, 16, 32):
            # Native data pydicom will not decode (e.g. shorter than its
            # frames say): compare every sample within Bits Stored.
            dt = {8: np.uint8, 16: np.uint16, 32: np.uint32}[din.BitsAllocated]
            stored = int(din.get("BitsStored", din.BitsAllocated))
            high = int(din.get("HighBit", stored - 1))
            mask = ((1 << stored) - 1) << (high + 1 - stored)
            ra, rb = bytes(din.PixelData), bytes(dout.PixelData)
            n = min(len(ra), len(rb)) // np.dtype(dt).itemsize * np.dtype(dt).itemsize
            xa = np.frombuffer(ra[:n], dtype=dt) & mask
            xb = np.frombuffer(rb[:n], dtype=dt) & mask
            return None if np.array_equal(xa, xb) else "stored sample values differ"
        return f"cannot be decoded to compare ({type(e).__name__})"
    if pa.shape != pb.shape:
        return f"decoded shapes differ {pa.shape} vs {pb.shape}"
    return None if np.array_equal(pa, pb) else "decoded values differ"
    return problems


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    options = []
    if "--options" in args:
        i = args.index("--options")
        options = [o for o in args[i + 1].split(",") if o]
        del args[i:i + 2]
    rules = load_rules(options)
    bad = 0
    checked = skipped = 0
    with open(args[0]) as f:
        for line in f:
            if not line.strip():
                continue
            inp, out = line.rstrip("\n").split("\t")
            problems = check_pair(inp, out, rules, options)
            if problems and problems[0].startswith("SKIP"):
                skipped += 1
                continue
            checked += 1
            if problems:
                bad += 1
                print(f"{inp}:")
                for p in sorted(set(problems)):
                    print(f"  - {p}")
    print(f"checked {checked} outputs ({skipped} inputs unreadable by pydicom), {bad} with problems")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
