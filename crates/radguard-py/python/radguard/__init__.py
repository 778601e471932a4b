"""radguard: medical-imaging security from Python, in Rust.

De-identify DICOM files per PS3.15 Annex E (2026c) with keyed,
reproducible UIDs and pseudonyms (the same key gives the same bytes as the
``radguard deid`` command line, on any machine, in any order, in any split
of a batch); encrypt pixel data with envelope keys from a keyring; inspect
files without showing PHI; score CVSS vectors and imaging-device risk.

Every call releases the GIL while it works, so Python threads (and Dask
workers) de-identify in parallel.

Example::

    import radguard

    deid = radguard.Deidentifier(
        radguard.DeidKey.from_file("deid.key"),
        radguard.Profile(options=["retain-long-modified-dates"]),
    )
    out, report = deid.deidentify_bytes(open("in.dcm", "rb").read())
    print(report.relative_path, report.counts["uids_replaced"])
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import _native
from ._errors import (
    DecryptionError,
    InvalidDicomError,
    InvalidInputError,
    KeyFileError,
    KeyManagementError,
    NotDicomError,
    OutputExistsError,
    RadguardError,
    RadguardIOError,
    RefusedError,
)

if TYPE_CHECKING:  # pragma: no cover
    import pydicom

__version__: str = _native.VERSION
EDITION: str = _native.EDITION
"""The PS3.15 edition whose tables radguard applies (e.g. ``"2026c"``)."""
OPTIONS: Tuple[str, ...] = tuple(_native.OPTIONS)
"""The names of the ten PS3.15 options, in Table E.1-1 column order."""

StrPath = Union[str, "os.PathLike[str]"]

__all__ = [
    "EDITION",
    "OPTIONS",
    "DeidKey",
    "Profile",
    "PseudonymMap",
    "Deidentifier",
    "Report",
    "Explanation",
    "Keyring",
    "encryption_info",
    "inspect",
    "cvss",
    "score_inventory",
    "shard_of",
    "RadguardError",
    "NotDicomError",
    "InvalidDicomError",
    "RefusedError",
    "InvalidInputError",
    "KeyFileError",
    "KeyManagementError",
    "DecryptionError",
    "OutputExistsError",
    "RadguardIOError",
]


class DeidKey:
    """A de-identification key (256 bits). Its material never leaves Rust,
    is never printed, and is zeroized when the object is collected; ``id``
    is its public fingerprint (the ``key_id`` of audit records)."""

    __slots__ = ("_k",)

    def __init__(self, native: "_native.DeidKey") -> None:
        self._k = native

    @classmethod
    def from_file(cls, path: StrPath) -> "DeidKey":
        """Reads a key file as ``radguard deid --key-file`` does: a regular
        file readable by its owner only (``chmod 600``), holding 64
        hexadecimal characters or exactly 32 raw bytes.

        Raises :class:`KeyFileError` otherwise."""
        return cls(_native.DeidKey.from_file(os.fspath(path)))

    @classmethod
    def from_bytes(cls, data: bytes) -> "DeidKey":
        """A key from 32 raw bytes or 64 hexadecimal characters (ASCII)."""
        if isinstance(data, str):
            data = data.encode("ascii", "replace")
        return cls(_native.DeidKey.from_bytes(bytes(data)))

    @classmethod
    def random(cls) -> "DeidKey":
        """A fresh random key (outputs cannot be linked to any other key's)."""
        return cls(_native.DeidKey.random())

    @property
    def id(self) -> str:
        return self._k.id

    def __repr__(self) -> str:
        return f"DeidKey(id={self.id!r})"


class Profile:
    """The Basic Application Level Confidentiality Profile plus options.

    ``options``: names from :data:`OPTIONS` (e.g. ``"retain-uids"``);
    ``allow_burned_in``: de-identify the header of files that may show
    identifying text in their pixels (marked Patient Identity Removed = NO)
    instead of refusing them; ``trust_declared_private``: with
    ``retain-safe-private``, also trust what files declare about their own
    private blocks; ``keep_text``: LT/ST/UT/UC tags (``"0028,3003"``) whose
    free text is kept, cleaned, instead of replaced.

    Raises :class:`InvalidInputError` (a ``ValueError``) for an unknown
    option, a malformed tag or options that exclude each other.
    """

    __slots__ = ("_p",)

    def __init__(
        self,
        options: Iterable[str] = (),
        *,
        allow_burned_in: bool = False,
        trust_declared_private: bool = False,
        keep_text: Iterable[str] = (),
    ) -> None:
        if isinstance(options, str):
            options = [options]
        self._p = _native.Profile(
            [str(o) for o in options],
            bool(allow_burned_in),
            bool(trust_declared_private),
            [str(t) for t in keep_text],
        )

    @property
    def options(self) -> Tuple[str, ...]:
        return tuple(self._p.options)

    def explain(self, tag: str) -> "Explanation":
        """The effective rule for an attribute (``"0010,0010"``) under this
        profile, and where it comes from (what ``radguard deid --explain``
        prints)."""
        return Explanation._from(json.loads(self._p.explain(str(tag))))

    def __repr__(self) -> str:
        return f"Profile(options={list(self.options)!r})"


@dataclass(frozen=True)
class Explanation:
    """The rule a profile gives one attribute."""

    tag: str
    name: Optional[str]
    basic: Optional[str]
    options: Tuple[Tuple[str, str], ...]
    effective: str
    source: str
    text: str

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> "Explanation":
        return cls(
            tag=d["tag"],
            name=d["name"],
            basic=d["basic"],
            options=tuple((o, a) for o, a in d["options"]),
            effective=d["effective"],
            source=d["source"],
            text=d["text"],
        )

    def __str__(self) -> str:
        return self.text


class PseudonymMap:
    """Explicit pseudonyms: original Patient ID -> pseudonym (1 to 64
    characters from ``A-Z a-z 0-9 space . _ - ^``), overriding the keyed
    ones. Never printed."""

    __slots__ = ("_m",)

    def __init__(self, pairs: Union[Mapping[str, str], Iterable[Tuple[str, str]]]) -> None:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        self._m = _native.PseudonymMap.from_pairs([(str(a), str(b)) for a, b in items])

    @classmethod
    def from_csv(cls, path: StrPath) -> "PseudonymMap":
        """Reads ``original,pseudonym`` lines (``radguard deid --pseudonyms``)."""
        m = cls.__new__(cls)
        m._m = _native.PseudonymMap.from_file(os.fspath(path))
        return m

    def __len__(self) -> int:
        return len(self._m)

    def __repr__(self) -> str:
        return f"PseudonymMap(<{len(self)} entries, redacted>)"


@dataclass(frozen=True)
class Report:
    """What de-identifying one file did. Holds no PHI unless the
    de-identifier was made with ``mapping=True`` (then ``mapping`` holds
    original identifiers, for the data custodian only)."""

    counts: Mapping[str, int]
    """Counts of what was done (actions X/Z/D/K/C/U, UIDs replaced, ...)."""
    identity: Mapping[str, str]
    """The output's de-identified Patient ID and Study/Series/SOP Instance UIDs."""
    relative_path: str
    """``<Patient ID>/<Study UID>/<Series UID>/<SOP Instance UID>.dcm``: the
    name ``radguard deid`` gives this output."""
    key_id: str
    study_digest: Optional[str]
    """Keyed digest of the original Study Instance UID (linkable by the key holder only)."""
    burned_in_retained: bool
    audit: Mapping[str, Any]
    """The PHI-free audit record (the ``radguard deid --audit`` schema)."""
    mapping: Optional[Mapping[str, Any]] = field(default=None, repr=False)
    output: Optional[str] = None
    """The output path, for file calls."""

    @classmethod
    def _from(cls, text: str, output: Optional[str] = None) -> "Report":
        d = json.loads(text)
        return cls(
            counts=d["counts"],
            identity=d["identity"],
            relative_path=d["relative_path"],
            key_id=d["key_id"],
            study_digest=d["study_digest"],
            burned_in_retained=d["burned_in_retained"],
            audit=d["audit"],
            mapping=d["mapping"],
            output=output,
        )


class Deidentifier:
    """De-identifies DICOM files under a profile with a key.

    ``key``: a :class:`DeidKey`, or the path of a key file, or the key's 32
    raw bytes; ``profile``: a :class:`Profile` (default: Basic Profile);
    ``pseudonyms``: explicit pseudonyms (a :class:`PseudonymMap`, a dict, or
    the path of a CSV file); ``mapping``: also collect original ->
    replacement pairs in each report (for the custodian's re-identification
    table).

    The object is immutable and safe to share between threads; every
    method releases the GIL while it works. The same key and profile give
    the same bytes as ``radguard deid`` with the same key and options.
    """

    __slots__ = ("_d", "_key", "_profile")

    def __init__(
        self,
        key: Union[DeidKey, bytes, StrPath],
        profile: Optional[Profile] = None,
        *,
        pseudonyms: Union[PseudonymMap, Mapping[str, str], StrPath, None] = None,
        mapping: bool = False,
    ) -> None:
        if isinstance(key, (bytes, bytearray)):
            key = DeidKey.from_bytes(bytes(key))
        elif not isinstance(key, DeidKey):
            key = DeidKey.from_file(key)
        if profile is None:
            profile = Profile()
        if not isinstance(profile, Profile):
            raise TypeError("profile must be a radguard.Profile")
        if pseudonyms is not None and not isinstance(pseudonyms, PseudonymMap):
            if isinstance(pseudonyms, Mapping):
                pseudonyms = PseudonymMap(pseudonyms)
            else:
                pseudonyms = PseudonymMap.from_csv(pseudonyms)
        self._key = key
        self._profile = profile
        self._d = _native.Deidentifier(
            key._k, profile._p, None if pseudonyms is None else pseudonyms._m, bool(mapping)
        )

    @property
    def key_id(self) -> str:
        return self._d.key_id

    @property
    def profile(self) -> Profile:
        return self._profile

    def explain(self, tag: str) -> Explanation:
        """The effective rule for an attribute under this de-identifier's profile."""
        return self._profile.explain(tag)

    def deidentify_bytes(self, data: bytes) -> Tuple[bytes, Report]:
        """De-identifies an encoded DICOM file held in memory; returns the
        de-identified file's bytes and the report."""
        if not isinstance(data, bytes):
            data = bytes(data)
        out, report = self._d.deidentify_bytes(data)
        return out, Report._from(report)

    def deidentify_file(self, src: StrPath, dst: StrPath, *, overwrite: bool = False) -> Report:
        """De-identifies the file ``src`` into ``dst`` (atomically: written
        to a temporary file, synced, renamed; the folder is created). Raises
        :class:`OutputExistsError` if ``dst`` exists, unless ``overwrite``."""
        dst = os.fspath(dst)
        return Report._from(
            self._d.deidentify_file(os.fspath(src), dst, bool(overwrite)), output=dst
        )

    def deidentify_into(
        self, srcs: Union[StrPath, Sequence[StrPath]], outdir: StrPath, *, overwrite: bool = False
    ) -> "list[Union[Report, RadguardError]]":
        """De-identifies files into ``outdir`` under the names ``radguard
        deid`` gives them (``Report.relative_path``: no input name reaches
        the output), with one file-system sync for the whole list. Returns,
        in order, a :class:`Report` (with ``output`` set) or the error of
        each input: one bad file does not stop the others."""
        if isinstance(srcs, (str, os.PathLike)):
            srcs = [srcs]
        results = self._d.deidentify_into(
            [os.fspath(s) for s in srcs], os.fspath(outdir), bool(overwrite)
        )
        return [
            err if err is not None else Report._from(rep, output=os.fspath(path))
            for path, rep, err in results
        ]

    def deidentify_dataset(self, ds: "pydicom.Dataset") -> "pydicom.Dataset":
        """De-identifies a pydicom ``Dataset`` (with its file meta), through
        bytes: the result is what :meth:`deidentify_bytes` makes of the
        dataset as pydicom writes it. Needs pydicom."""
        import io

        import pydicom

        buf = io.BytesIO()
        try:
            ds.save_as(buf, enforce_file_format=True)
        except TypeError:  # pydicom < 3
            ds.save_as(buf, write_like_original=False)
        out, _ = self.deidentify_bytes(buf.getvalue())
        return pydicom.dcmread(io.BytesIO(out))

    def __repr__(self) -> str:
        return f"Deidentifier(key_id={self.key_id!r}, options={list(self._profile.options)!r})"


class Keyring:
    """A keyring file of key-encryption keys (mode 0600, created with
    ``radguard keys new``): encrypts and decrypts pixel data with envelope
    keys. The header of an encrypted file stays readable; any change to the
    encrypted data is detected."""

    __slots__ = ("_r", "path")

    def __init__(self, path: StrPath) -> None:
        self.path = os.fspath(path)
        self._r = _native.Keyring.open(self.path)

    def keys(self) -> "list[dict[str, Any]]":
        """The keys: ``id`` and ``status`` (primary, active, destroyed); never key material."""
        return json.loads(self._r.keys())

    def encrypt_file(
        self,
        src: StrPath,
        dst: StrPath,
        *,
        key_id: Optional[str] = None,
        segment_size: Optional[int] = None,
        overwrite: bool = False,
    ) -> "dict[str, Any]":
        """Encrypts the pixel data of ``src`` into ``dst`` under ``key_id``
        (default: the primary key). Returns the encryption header."""
        return json.loads(
            self._r.encrypt_file(
                os.fspath(src), os.fspath(dst), key_id, segment_size, bool(overwrite)
            )
        )

    def decrypt_file(self, src: StrPath, dst: StrPath, *, overwrite: bool = False) -> "dict[str, Any]":
        """Decrypts ``src`` into ``dst``. Raises :class:`DecryptionError`
        for a wrong key or modified data."""
        return json.loads(self._r.decrypt_file(os.fspath(src), os.fspath(dst), bool(overwrite)))

    def __repr__(self) -> str:
        return f"Keyring({self.path!r})"


def encryption_info(path: StrPath) -> "Optional[dict[str, Any]]":
    """The encryption header of a file (key id, frames, segments), or
    ``None`` if radguard did not encrypt it."""
    r = _native.encryption_info(os.fspath(path))
    return None if r is None else json.loads(r)


def inspect(path: StrPath) -> "dict[str, Any]":
    """A PHI-free structural summary of a DICOM file (what ``radguard
    inspect --json`` prints): transfer syntax, SOP class, pixel data,
    preamble, malformed lengths; never a value that could identify a
    patient."""
    return json.loads(_native.inspect(os.fspath(path)))


def cvss(vector: str, *, lenient: bool = False) -> "dict[str, Any]":
    """Scores a CVSS v3.0/v3.1/v4.0 vector, strictly (what ``radguard risk
    cvss --json`` prints). Raises :class:`InvalidInputError` for a
    malformed vector; ``lenient`` accepts v4.0 metrics in any order."""
    return json.loads(_native.cvss(str(vector), bool(lenient)))


def _read_text(path: StrPath) -> Tuple[str, str]:
    """A file's text (``.gz`` decompressed) and its name without ``.gz``."""
    p = Path(path)
    if p.name.endswith(".gz"):
        with gzip.open(p, "rt", encoding="utf-8") as f:
            return f.read(), p.name[:-3]
    return p.read_text(encoding="utf-8"), p.name


def score_inventory(
    inventory: StrPath,
    *,
    as_of: Optional[str] = None,
    kev: Optional[StrPath] = None,
    epss: Optional[StrPath] = None,
    weights: Optional[StrPath] = None,
) -> "dict[str, Any]":
    """Scores every device of an inventory file (``.json``, ``.yaml``/``.yml``
    or ``.csv``, optionally ``.gz``) with MIRS; the result is the
    ``radguard risk score --format json`` report. ``kev``: a CISA KEV
    catalog (``.json`` or ``.csv``); ``epss``: FIRST EPSS scores (``.csv``);
    ``as_of``: the evaluation date, ``YYYY-MM-DD`` (needed when the
    inventory has none, so that results are reproducible)."""
    text, name = _read_text(inventory)
    fmt = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if fmt == "yml":
        fmt = "yaml"
    kev_json = kev_csv = None
    if kev is not None:
        kev_text, kev_name = _read_text(kev)
        if kev_name.lower().endswith(".csv"):
            kev_csv = kev_text
        else:
            kev_json = kev_text
    epss_csv = _read_text(epss)[0] if epss is not None else None
    weights_json = _read_text(weights)[0] if weights is not None else None
    return json.loads(
        _native.score_inventory(text, fmt, as_of, kev_json, kev_csv, epss_csv, weights_json)
    )


def shard_of(relative_path: str, count: int) -> int:
    """The shard (0 to ``count - 1``) that ``radguard deid --shard I/N``
    gives an input at ``relative_path`` (relative to its input folder,
    ``/``-separated): SHA-256 of the path, first 8 bytes big-endian, modulo
    ``count``. The same on every machine."""
    if count < 1:
        raise ValueError("count must be at least 1")
    parts = [p for p in relative_path.replace(os.sep, "/").split("/") if p not in ("", ".")]
    digest = hashlib.sha256("/".join(parts).encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count
