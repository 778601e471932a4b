"""Fixtures shared by the radguard Python tests.

The tests compare the Python package with the ``radguard`` command line:
set RADGUARD_BIN to the binary (the CI step uses the debug binary that
``cargo test`` built); tests that need it skip without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "tests" / "data"
MR_UID = b"1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457"

# Distinct instances among the bundled samples (each SOP Instance UID
# once), for output trees that do not depend on which duplicate wins.
DISTINCT = [
    "deid-data/ctbrain1.dcm",
    "dicognito/CT_small_deflated.dcm",
    "dicognito/p01_s01_s01_i01.dcm",
    "pydicom/JPEG2000.dcm",
    "pydicom/liver_1frame.dcm",
    "pydicom/chrH31.dcm",
    "pydicom/chrRuss.dcm",
    "pydicom/rtplan.dcm",
    "pydicom/test-SR.dcm",
    "pydicom/examples_ybr_color.dcm",
    "pydicom/waveform_ecg.dcm",
    "pydicom-data/emri_small.dcm",
    "dicom3tools/0051.dcm",
]


def radguard_bin() -> Path | None:
    p = os.environ.get("RADGUARD_BIN")
    if p and Path(p).is_file():
        return Path(p)
    for cand in (ROOT / "target" / "debug" / "radguard", ROOT / "target" / "release" / "radguard"):
        if cand.is_file():
            return cand
    found = shutil.which("radguard")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def rg() -> Path:
    b = radguard_bin()
    if b is None:
        pytest.skip("no radguard binary (set RADGUARD_BIN)")
    return b


def run(rg: Path, *args: object, ok: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(rg), *map(str, args)], capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise AssertionError(f"radguard {args} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    k = tmp_path / "deid.key"
    k.write_bytes(bytes(range(32)))
    k.chmod(0o600)
    return k


def mr_variant(i: int) -> bytes:
    """MR_small with its SOP Instance UID's last component changed (same
    length, so the file stays valid): one more instance of the series."""
    data = (SAMPLES / "pydicom" / "MR_small.dcm").read_bytes()
    return data.replace(MR_UID, MR_UID[:-4] + str(6000 + i).encode())


def make_tree(root: Path, extra_mr: int = 30) -> Path:
    """A folder tree of distinct instances, a non-DICOM file and a truncated file."""
    for rel in DISTINCT:
        dst = root / "site-a" / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLES / rel, dst)
    for i in range(extra_mr):
        dst = root / "site-b" / f"series{i % 3}" / f"im{i:03}.dcm"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(mr_variant(i))
    (root / "site-b" / "notes.txt").write_bytes(b"not a DICOM file")
    mr = mr_variant(999)
    (root / "site-a" / "cut.dcm").write_bytes(mr[: len(mr) // 2])
    return root


def tree(root: Path) -> dict:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
