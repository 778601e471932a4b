"""De-identify a folder tree on a Dask cluster.

The recipe (see the README, "Scale-out"): list the inputs once on the
client, cut the list into batches, and let every worker de-identify its
batches with the same key file. radguard is keyed and stateless, so the
output is byte-identical to one ``radguard deid`` run with the same key and
options, whatever the number of workers, the order or the split.

- **Key distribution.** Tasks carry the *path* of the key file, never the
  key: the key is not in the task graph, the scheduler's memory, its logs
  or the dashboard. Each worker reads the file once (mode 0600 checked, as
  the CLI does) and keeps the de-identifier in memory. On Kubernetes, mount
  a Secret as a file at the same path on every worker (``defaultMode:
  0400``); on Slurm/HPC, keep it in the user's home with mode 0600.
- **Object storage.** Inputs and outputs may be fsspec URLs (``s3://``,
  ``gs://``, ``abfs://``): files are read whole, de-identified in memory and
  written as one object (an object store PUT is atomic). Local outputs are
  written atomically with one file-system sync per batch.
- **Resumability.** With ``skip_existing=True`` (the default), an output
  that already exists is re-derived and compared: identical bytes count as
  ``present`` (a re-run after a crash skips the work already done), other
  bytes are a failure (``output_differs``: another key or options wrote
  there).

Local clusters, ``dask.distributed.Client("tcp://scheduler:8786")``,
dask-kubernetes and dask-jobqueue (Slurm, PBS) clients all work the same.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import radguard

__all__ = ["list_inputs", "deidentify_batch", "deidentify_with_dask"]


def _fs(url: str, storage_options: Optional[Mapping[str, Any]]):
    import fsspec

    fs, root = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    return fs, root


def _is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def list_inputs(root: str, storage_options: Optional[Mapping[str, Any]] = None) -> List[str]:
    """Every regular file below ``root`` (a folder or an fsspec URL), as
    ``/``-separated paths relative to it, sorted (radguard's temporary
    ``.radguard-*.part`` files excluded; symbolic links are not followed)."""
    if _is_local(root):
        root = root[len("file://") :] if root.startswith("file://") else root
        found = []
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                p = os.path.join(dirpath, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                if name.startswith(".radguard-") and name.endswith(".part"):
                    continue
                found.append(os.path.relpath(p, root).replace(os.sep, "/"))
        return sorted(found)
    fs, base = _fs(root, storage_options)
    base = base.rstrip("/")
    return sorted(p[len(base) + 1 :] for p in fs.find(base) if p != base)


@functools.lru_cache(maxsize=4)
def _deidentifier(key_file: str, profile: Tuple[Any, ...]) -> radguard.Deidentifier:
    options, allow_burned_in, trust_declared_private, keep_text = profile
    return radguard.Deidentifier(
        radguard.DeidKey.from_file(key_file),
        radguard.Profile(
            options,
            allow_burned_in=allow_burned_in,
            trust_declared_private=trust_declared_private,
            keep_text=keep_text,
        ),
    )


def _status(err: radguard.RadguardError) -> str:
    if isinstance(err, radguard.NotDicomError):
        return "skipped"
    if isinstance(err, radguard.RefusedError):
        return "refused"
    return "failed"


def _result(rel: str, status: str, output: Optional[str] = None, reason: Optional[str] = None,
            audit: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    r: Dict[str, Any] = {"input": rel, "status": status}
    if output is not None:
        r["output"] = output
    if reason is not None:
        r["reason"] = reason
    if audit is not None:
        r["audit"] = dict(audit)
    return r


def deidentify_batch(
    root: str,
    rels: Sequence[str],
    outdir: str,
    key_file: str,
    profile: Tuple[Any, ...] = ((), False, False, ()),
    skip_existing: bool = True,
    storage_options: Optional[Mapping[str, Any]] = None,
) -> List[Dict[str, Any]]:
    """De-identifies ``rels`` (relative to ``root``) into ``outdir`` under
    radguard's pseudonymous names; runs on a worker. Returns one result per
    input: ``input``, ``status`` (done, present, skipped, refused, failed),
    ``output`` (relative), ``reason``, ``audit``."""
    deid = _deidentifier(key_file, tuple(profile))
    if _is_local(root) and _is_local(outdir):
        return _local_batch(deid, root, rels, outdir, skip_existing)
    return _remote_batch(deid, root, rels, outdir, skip_existing, storage_options)


def _local_batch(deid, root, rels, outdir, skip_existing):
    os.makedirs(outdir, exist_ok=True)
    srcs = [os.path.join(root, r) for r in rels]
    results = []
    for rel, src, r in zip(rels, srcs, deid.deidentify_into(srcs, outdir)):
        if isinstance(r, radguard.Report):
            results.append(_result(rel, "done", r.relative_path, audit=r.audit))
        elif isinstance(r, radguard.OutputExistsError) and skip_existing:
            results.append(_compare_existing(deid, rel, src, outdir))
        else:
            results.append(_result(rel, _status(r), reason=r.reason))
    return results


def _compare_existing(deid, rel, src, outdir):
    with open(src, "rb") as f:
        out, rep = deid.deidentify_bytes(f.read())
    with open(os.path.join(outdir, rep.relative_path), "rb") as f:
        same = f.read() == out
    if same:
        return _result(rel, "present", rep.relative_path, audit=rep.audit)
    return _result(rel, "failed", rep.relative_path, reason="output_differs")


def _remote_batch(deid, root, rels, outdir, skip_existing, storage_options):
    in_fs, in_base = _fs(root, storage_options)
    out_fs, out_base = _fs(outdir, storage_options)
    results = []
    for rel in rels:
        try:
            with in_fs.open(f"{in_base.rstrip('/')}/{rel}", "rb") as f:
                out, rep = deid.deidentify_bytes(f.read())
        except radguard.RadguardError as e:
            results.append(_result(rel, _status(e), reason=e.reason))
            continue
        dst = f"{out_base.rstrip('/')}/{rep.relative_path}"
        if out_fs.exists(dst):
            if not skip_existing:
                results.append(_result(rel, "failed", rep.relative_path, reason="output_exists"))
            elif out_fs.cat_file(dst) == out:
                results.append(_result(rel, "present", rep.relative_path, audit=rep.audit))
            else:
                results.append(_result(rel, "failed", rep.relative_path, reason="output_differs"))
            continue
        out_fs.makedirs(dst.rsplit("/", 1)[0], exist_ok=True)
        out_fs.pipe_file(dst, out)
        results.append(_result(rel, "done", rep.relative_path, audit=rep.audit))
    return results


def deidentify_with_dask(
    client: Any,
    root: str,
    outdir: str,
    key_file: str,
    *,
    options: Iterable[str] = (),
    allow_burned_in: bool = False,
    trust_declared_private: bool = False,
    keep_text: Iterable[str] = (),
    batch_size: int = 64,
    skip_existing: bool = True,
    storage_options: Optional[Mapping[str, Any]] = None,
    inputs: Optional[Sequence[str]] = None,
) -> List[Dict[str, Any]]:
    """De-identifies every file below ``root`` into ``outdir`` on the Dask
    cluster of ``client``, ``batch_size`` files per task. ``key_file`` must
    be readable at that path on every worker. Returns the per-file results
    of :func:`deidentify_batch`, in input order. The profile is checked on
    the client first, so a bad option fails before any work is sent."""
    profile = (tuple(options), bool(allow_burned_in), bool(trust_declared_private), tuple(keep_text))
    radguard.Profile(profile[0], allow_burned_in=profile[1],
                     trust_declared_private=profile[2], keep_text=profile[3])
    rels = list(inputs) if inputs is not None else list_inputs(root, storage_options)
    batches = [rels[i : i + batch_size] for i in range(0, len(rels), max(1, batch_size))]
    futures = client.map(
        deidentify_batch,
        [root] * len(batches),
        batches,
        [outdir] * len(batches),
        [key_file] * len(batches),
        [profile] * len(batches),
        [skip_existing] * len(batches),
        [storage_options] * len(batches),
        pure=False,
    )
    results: List[Dict[str, Any]] = []
    for part in client.gather(futures):
        results.extend(part)
    return results
