"""Reproducibility against the command line, thread safety, and the
distributed runs: the same key gives the same bytes and names however the
work is split."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import radguard
from conftest import SAMPLES, make_tree, mr_variant, run, tree


def test_same_bytes_and_names_as_the_cli(tmp_path: Path, rg: Path, key_file: Path) -> None:
    # Every bundled sample, one by one (some are refused or not DICOM:
    # the CLI must refuse or skip them too).
    single = tmp_path / "cli"
    run(rg, "deid", "--key-file", key_file, "--allow-burned-in", "-o", single, SAMPLES, ok=False)
    expected = tree(single)
    d = radguard.Deidentifier(radguard.DeidKey.from_file(key_file), radguard.Profile(allow_burned_in=True))
    made: dict = {}
    for src in sorted(SAMPLES.rglob("*")):
        if not src.is_file():
            continue
        try:
            out, rep = d.deidentify_bytes(src.read_bytes())
        except radguard.RadguardError:
            continue
        made.setdefault(rep.relative_path, []).append(out)
    assert len(expected) >= 20
    assert set(made) == set(expected)
    # Some samples are one instance in several encodings (one SOP Instance
    # UID): they compete for one name, and the CLI keeps one of them.
    for name, outs in made.items():
        assert expected[name] in outs
    assert sum(len(o) == 1 for o in made.values()) >= 15


def test_threads_give_the_same_bytes_as_one_thread() -> None:
    d = radguard.Deidentifier(bytes(range(32)), radguard.Profile(allow_burned_in=True))
    inputs = [mr_variant(i) for i in range(48)] + [
        (SAMPLES / "pydicom" / name).read_bytes()
        for name in ("liver_1frame.dcm", "rtplan.dcm", "test-SR.dcm", "examples_ybr_color.dcm")
    ]
    one = [d.deidentify_bytes(b)[0] for b in inputs]
    barrier = threading.Barrier(8)

    def work(chunk):
        barrier.wait()
        return [(i, d.deidentify_bytes(inputs[i])[0]) for i in chunk]

    chunks = [list(range(k, len(inputs), 8)) for k in range(8)]
    with ThreadPoolExecutor(8) as pool:
        got = dict(x for part in pool.map(work, chunks) for x in part)
    assert [got[i] for i in range(len(inputs))] == one
    assert len(set(one)) == len(one)


def test_the_gil_is_released_while_working(tmp_path: Path) -> None:
    d = radguard.Deidentifier(bytes(range(32)))
    srcs = []
    for i in range(150):
        p = tmp_path / "in" / f"{i}.dcm"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(mr_variant(i))
        srcs.append(p)
    span = {}

    def work():
        t0 = time.perf_counter()
        d.deidentify_into(srcs, tmp_path / "out")  # one call into Rust
        span["call"] = (t0, time.perf_counter())

    t = threading.Thread(target=work)
    stamps = [time.perf_counter()]
    t.start()
    while t.is_alive():
        stamps.append(time.perf_counter())
    t.join()
    t0, t1 = span["call"]
    inside = [s for s in stamps if t0 <= s <= t1]
    # Had the call held the GIL, this thread could not have run during it:
    # one gap as long as the call. It ran all along.
    gaps = [b - a for a, b in zip([t0] + inside, inside + [t1])]
    assert t1 - t0 > 0.05 and max(gaps) < (t1 - t0) / 2, (t1 - t0, max(gaps))


def test_python_folder_run_equals_the_cli(tmp_path: Path, rg: Path, key_file: Path) -> None:
    src = make_tree(tmp_path / "in")
    cli = tmp_path / "cli"
    run(rg, "deid", "--key-file", key_file, "--allow-burned-in", "-o", cli, src, ok=False)
    d = radguard.Deidentifier(key_file, radguard.Profile(allow_burned_in=True))
    files = sorted(p for p in src.rglob("*") if p.is_file())
    results = d.deidentify_into(files, tmp_path / "py")
    assert sum(isinstance(r, radguard.Report) for r in results) == len(tree(cli))
    assert tree(tmp_path / "py") == tree(cli)


def test_dask_cluster_equals_one_cli_run(tmp_path: Path, rg: Path, key_file: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from radguard.distributed import deidentify_with_dask

    src = make_tree(tmp_path / "in")
    cli = tmp_path / "cli"
    run(rg, "deid", "--key-file", key_file, "--allow-burned-in", "-o", cli, src, ok=False)
    out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        results = deidentify_with_dask(client, str(src), str(out), str(key_file),
                                       allow_burned_in=True, batch_size=5)
        pids = set(client.run(os.getpid).values())
        assert len(pids) == 3 and os.getpid() not in pids
        by = {}
        for r in results:
            by.setdefault(r["status"], []).append(r["input"])
        assert by["skipped"] == ["site-b/notes.txt"]
        assert by["failed"] == ["site-a/cut.dcm"]
        assert tree(out) == tree(cli)
        # Resumable: a second run finds every output present and identical.
        again = deidentify_with_dask(client, str(src), str(out), str(key_file),
                                     allow_burned_in=True, batch_size=7)
        assert sorted(r["status"] for r in again if r["status"] == "present") == ["present"] * len(tree(cli))
        # Other options writing into the same folder (same names, other
        # bytes) do not pass silently, and change nothing.
        clash = deidentify_with_dask(client, str(src), str(out), str(key_file), allow_burned_in=True,
                                     options=["retain-long-full-dates"], inputs=["site-a/pydicom/rtplan.dcm"])
        assert clash[0]["status"] == "failed" and clash[0]["reason"] == "output_differs"
    assert tree(out) == tree(cli)
