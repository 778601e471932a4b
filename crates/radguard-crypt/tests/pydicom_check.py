#!/usr/bin/env python3
"""Independent checks of `radguard encrypt` / `radguard decrypt` with pydicom
and a second implementation of the format.

    python3 crates/radguard-crypt/tests/pydicom_check.py --radguard target/release/radguard INPUT...

For every input file that `radguard encrypt` accepts:

1. the encrypted file opens in pydicom without error, holds no top-level
   pixel data, holds the RADGUARD CRYPT private block, and its other
   elements equal the original's but for the protected elements the
   descriptor lists (format v2), which are gone;
2. a reference decryptor written from the format specification
   (crates/radguard-crypt/src/format.rs), versions 1 and 2, with Python's
   `cryptography` package reads the keyring, unwraps the data key, checks
   the commitment and decrypts every segment: the result is the original
   pixel data, byte for byte (native), or fragment for fragment with the
   same offset table (encapsulated), and each other protected element's
   original value; the bound attributes stored in the descriptor equal the
   file's (transfer syntax, identity UIDs, top-level pixel attributes) and
   the keyed Patient ID digest matches;
3. the file `radguard decrypt` restored equals the original element for
   element, pixel data included.

Differences that radguard-dicom's normalization explains are counted, not
failed: group length elements (gggg,0000) dropped, UN sequences read as SQ,
odd-length values padded to even length, encapsulated Pixel Data written as
OB. Anything else is a failure (exit 1). Needs `pydicom` and `cryptography`.
"""
import argparse
import collections
import hashlib
import hmac
import os
import struct
import subprocess
import sys
import tempfile

import pydicom
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from pydicom.encaps import generate_fragments
from pydicom.tag import Tag

PIXEL_TAGS = {Tag(0x7FE0, 0x0010), Tag(0x7FE0, 0x0008), Tag(0x7FE0, 0x0009)}
CREATOR = Tag(0x7FE1, 0x0052)
ENVELOPE = Tag(0x7FE1, 0x5201)
CIPHERTEXT = Tag(0x7FE1, 0x5202)
BLOCK = {CREATOR, ENVELOPE, CIPHERTEXT}


# ---------------------------------------------------------------- reference decryptor

def hkdf_expand(prk, info, n):
    return HKDFExpand(algorithm=hashes.SHA256(), length=n, info=info).derive(prk)


def keyring_text(raw):
    """The keyring's text: a format-1 file is text; a format-2 file holds
    two slots ("RADGUARD-KEYRING", version 2, generation, capacity, payload
    length, SHA-256 of the 48-byte header and the payload, then the
    payload), of which the intact one with the highest generation counts
    (the format on radguard_crypt::LocalKeyring)."""
    if not raw.startswith(b"RADGUARD-KEYRING"):
        return raw.decode("ascii")
    best = None
    # The file is two slots of C bytes: slot 1 starts half-way, whatever a
    # torn slot 0 header says.
    for off in (0, len(raw) // 2):
        head = raw[off:off + 80]
        if len(head) < 80 or head[:16] != b"RADGUARD-KEYRING" or struct.unpack_from("<I", head, 16)[0] != 2:
            continue
        gen, _cap, n = struct.unpack_from("<QQQ", head, 24)
        payload = raw[off + 80:off + 80 + n]
        if len(payload) != n or hashlib.sha256(head[:48] + payload).digest() != head[48:80]:
            continue
        if best is None or gen > best[0]:
            best = (gen, payload)
    assert best is not None, "no intact keyring slot"
    return best[1].decode("ascii")


def read_keyring(path):
    keys = {}
    with open(path, "rb") as f:
        text = keyring_text(f.read())
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "key":
            fields = dict(p.split("=", 1) for p in parts[2:])
            keys[parts[1]] = bytes.fromhex(fields["material"])
    return keys


def parse_envelope(b):
    assert b[:7] == b"RGCRYPT" and b[7] in (1, 2) and b[8] == 1, "magic/version/suite"
    k = b[9]
    kek_id = b[10:10 + k].decode("ascii")
    pos = 10 + k
    (w,) = struct.unpack(">H", b[pos:pos + 2])
    wrapped = b[pos + 2:pos + 2 + w]
    bound_start = pos + 2 + w
    pos = bound_start
    salt, commitment = b[pos:pos + 32], b[pos + 32:pos + 64]
    seg, units = struct.unpack(">II", b[pos + 64:pos + 72])
    pos += 72
    unit_lens = list(struct.unpack(f">{units}Q", b[pos:pos + 8 * units]))
    pos += 8 * units
    (m,) = struct.unpack(">I", b[pos:pos + 4])
    metadata = b[pos + 4:pos + 4 + m]
    end = pos + 4 + m
    rest = b[end:]
    assert rest in (b"", b"\0"), "trailing bytes"
    return dict(version=b[7], kek_id=kek_id, wrapped=wrapped, salt=salt, commitment=commitment,
                seg=seg, unit_lens=unit_lens, metadata=metadata, bound=b[bound_start:end])


class Reader:
    def __init__(self, b, pos=0):
        self.b, self.pos = b, pos

    def take(self, n):
        assert self.pos + n <= len(self.b), "descriptor truncated"
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def path(self):
        steps = []
        for _ in range(self.u16()):
            g, e, item = struct.unpack(">HHI", self.take(8))
            steps.append((Tag(g, e), None if item == 0xFFFFFFFF else item))
        return steps

    def pixel(self):
        group, elem = struct.unpack(">HH", self.take(4))
        vr = self.take(2).decode()
        kind = self.u8()
        value_len, frames, frame_units, bot_n = struct.unpack(">IIII", self.take(16))
        bot = list(struct.unpack(f">{bot_n}I", self.take(4 * bot_n)))
        return dict(tag=Tag(group, elem), vr=vr, kind=kind, value_len=value_len, frames=frames,
                    frame_units=frame_units, bot=bot)


def parse_descriptor(m, version, n_units):
    """Format §5.2: the pixel descriptor (v1), or the v2 descriptor."""
    r = Reader(m)
    assert r.u8() == version, "descriptor version"
    if version == 1:
        d = r.pixel()
        d.update(pixel_units=n_units, extras=[], bound=[], patient=None)
    else:
        d = r.pixel() if r.u8() == 1 else dict(tag=None)
        d["pixel_units"] = r.u32() if d["tag"] is not None else 0
        extras = []
        for _ in range(r.u32()):
            path = r.path()
            vr = r.take(2).decode()
            vtype = r.u8()
            units = r.u32()
            bot = [r.u32() for _ in range(r.u32())]
            extras.append(dict(path=path, vr=vr, type=vtype, units=units, bot=bot))
        bound = []
        for _ in range(r.u32()):
            path = r.path()
            present = r.u8()
            bound.append((path, r.take(r.u32()) if present else None))
        d.update(extras=extras, bound=bound, patient=r.take(32))
    assert r.pos == len(m), "trailing descriptor bytes"
    return d


def reference_decrypt(ds, keyring):
    """Decrypts an encrypted pydicom dataset per the format; returns the descriptor and units."""
    env = parse_envelope(bytes(ds[ENVELOPE].value))
    kek = keyring[env["kek_id"]]
    wrap_ctx = b"radguard-crypt v1 wrap context\0" + env["salt"] + env["commitment"]
    wrapped = env["wrapped"]
    assert wrapped[0] == 1 and len(wrapped) == 81
    k_w = HKDF(algorithm=hashes.SHA256(), length=32, salt=wrapped[1:33],
               info=b"radguard-crypt v1 local wrap").derive(kek)
    kid = env["kek_id"].encode()
    aad = b"radguard-crypt v1 local wrap\0" + bytes([len(kid)]) + kid + wrap_ctx
    dk = AESGCM(k_w).decrypt(b"\0" * 12, wrapped[33:], aad)
    prk = hmac.new(env["salt"], dk, hashlib.sha256).digest()
    assert hmac.compare_digest(hkdf_expand(prk, b"radguard-crypt v1 key commitment", 32),
                               env["commitment"]), "commitment"
    payload = hkdf_expand(prk, b"radguard-crypt v1 payload key", 32)
    prefix = hkdf_expand(prk, b"radguard-crypt v1 nonce prefix", 7)
    sop = str(ds.SOPInstanceUID).strip(" \0").encode()
    ts = str(ds.file_meta.TransferSyntaxUID).strip(" \0").encode()
    if env["version"] == 1:
        ctx = (b"radguard-crypt dicom v1\0" + struct.pack(">I", len(sop)) + sop
               + struct.pack(">I", len(ts)) + ts)
    else:
        ctx = b"radguard-crypt dicom v2\0"
    binding = hashlib.sha256(b"radguard-crypt v1 binding\0" + struct.pack(">Q", len(env["bound"]))
                             + env["bound"] + struct.pack(">Q", len(ctx)) + ctx).digest()
    ct = bytes(ds[CIPHERTEXT].value)
    seg = env["seg"]
    n = sum(max(1, -(-l // seg)) for l in env["unit_lens"])
    gcm = AESGCM(payload)
    units, pos, i = [], 0, 0
    for length in env["unit_lens"]:
        out = b""
        for k in range(max(1, -(-length // seg))):
            p = min(seg, length - k * seg)
            nonce = prefix + struct.pack(">I", i) + (b"\1" if i == n - 1 else b"\0")
            out += gcm.decrypt(nonce, ct[pos:pos + p + 16], binding)
            pos += p + 16
            i += 1
        units.append(out)
    assert ct[pos:] in (b"", b"\0"), "ciphertext length"
    desc = parse_descriptor(env["metadata"], env["version"], len(env["unit_lens"]))
    if env["version"] == 2:
        check_bound(ds, desc, ts, sop)
        patient_key = hkdf_expand(prk, b"radguard-crypt v2 patient id key", 32)
        pid = str(ds.get("PatientID", "") or "").strip(" \0").encode()
        assert hmac.compare_digest(hmac.new(patient_key, pid, hashlib.sha256).digest(),
                                   desc["patient"]), "Patient ID digest"
    return desc, units


def check_bound(ds, desc, ts, sop):
    """The stored bound attributes the format says are there, as pydicom reads them."""
    stored = {tuple(p): v for p, v in desc["bound"]}
    assert stored[((Tag(0x0002, 0x0010), None),)] == ts, "bound transfer syntax"
    assert stored[((Tag(0x0008, 0x0018), None),)] == sop, "bound SOP Instance UID"
    for kw, tag in (("StudyInstanceUID", Tag(0x0020, 0x000D)), ("SeriesInstanceUID", Tag(0x0020, 0x000E))):
        v = stored[((tag, None),)]
        if kw in ds:
            assert v == str(ds[kw].value).strip(" \0").encode(), f"bound {kw}"
        else:
            assert v is None, f"{kw} absent but bound as present"
    for kw, tag in (("Rows", Tag(0x0028, 0x0010)), ("Columns", Tag(0x0028, 0x0011)),
                    ("BitsAllocated", Tag(0x0028, 0x0100))):
        v = stored[((tag, None),)]
        el = ds.get(tag)
        if el is None:
            assert v is None, f"{kw} absent but bound as present"
        elif el.VR == "US" and isinstance(el.value, int):
            assert v == struct.pack("<H", el.value), f"bound {kw}"


# ---------------------------------------------------------------- comparison

def compare(a, b, path, kinds):
    """Compares two datasets element by element; records kinds of difference."""
    tags = sorted(set(a.keys()) | set(b.keys()))
    for t in tags:
        here = f"{path}{Tag(t)}"
        ea, eb = a.get(t), b.get(t)
        if ea is None or eb is None:
            if ea is not None and Tag(t).element == 0:
                kinds["group length dropped"] += 1
                continue
            kinds[f"DIFF present in only one: {here}"] += 1
            continue
        if ea.VR == "UN" and eb.VR == "SQ":
            kinds["UN sequence read as SQ"] += 1
            continue
        if ea.VR == "SQ" and eb.VR == "SQ":
            if len(ea.value) != len(eb.value):
                kinds[f"DIFF item count: {here}"] += 1
                continue
            for i, (x, y) in enumerate(zip(ea.value, eb.value)):
                compare(x, y, f"{here}[{i}].", kinds)
            continue
        vr_note = None
        if ea.VR != eb.VR:
            if t in PIXEL_TAGS and {ea.VR, eb.VR} <= {"OB", "OW"}:
                vr_note = "encapsulated pixel data OW written as OB"
            else:
                kinds[f"DIFF VR {ea.VR} vs {eb.VR}: {here}"] += 1
                continue
        if ea.value == eb.value:
            kinds[vr_note or "equal"] += 1
            continue
        va, vb = ea.value, eb.value
        if isinstance(va, bytes) and isinstance(vb, bytes):
            if len(vb) == len(va) + 1 and vb[:-1] == va and vb[-1:] in (b"\0", b" "):
                kinds["odd length padded"] += 1
                continue
        if isinstance(va, str) and isinstance(vb, str) and va.rstrip("\0 ") == vb.rstrip("\0 "):
            kinds["odd length padded"] += 1
            continue
        kinds[f"DIFF value: {here}"] += 1


def remove_path(ds, path):
    """Removes the element at a descriptor path from a pydicom dataset;
    returns its VR and its value bytes as stored (None for a sequence)."""
    for tag, item in path[:-1]:
        ds = ds[tag].value[item]
    tag = path[-1][0]
    raw = ds.get_item(tag)
    if isinstance(raw.value, (bytes, bytearray)):
        vr, value = raw.VR, bytes(raw.value)
    else:
        el = ds[tag]
        vr = el.VR
        value = None if el.VR == "SQ" else bytes(el.value)
    del ds[tag]
    return vr, value


def extra_units_of(desc, units):
    out, u = [], desc["pixel_units"]
    for x in desc["extras"]:
        out.append((x, units[u:u + x["units"]]))
        u += x["units"]
    return out


def original_pixels(ds):
    for t in PIXEL_TAGS:
        if t in ds:
            el = ds[t]
            if t == Tag(0x7FE0, 0x0010) and el.is_undefined_length:
                buf = bytes(el.value)
                # Skip the basic offset table item.
                (bot_len,) = struct.unpack("<I", buf[4:8])
                bot = list(struct.unpack(f"<{bot_len // 4}I", buf[8:8 + bot_len - bot_len % 4]))
                frags = list(generate_fragments(buf[8 + bot_len:]))
                return "encapsulated", t, (bot, frags)
            return "native", t, bytes(el.value)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--radguard", required=True)
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()
    failures = []
    kinds = collections.Counter()
    checked = 0
    with tempfile.TemporaryDirectory(prefix="radguard-pydicom-") as d:
        ring = os.path.join(d, "keyring")
        subprocess.run([args.radguard, "keys", "new", "--keyring", ring], check=True,
                       stdout=subprocess.DEVNULL)
        keyring = read_keyring(ring)
        files = []
        for inp in args.inputs:
            if os.path.isdir(inp):
                for root, _, names in os.walk(inp):
                    files += [os.path.join(root, n) for n in sorted(names)]
            else:
                files.append(inp)
        for n, f in enumerate(files):
            enc_dir, dec_dir = os.path.join(d, f"e{n}"), os.path.join(d, f"d{n}")
            r = subprocess.run([args.radguard, "encrypt", "--keyring", ring, "-o", enc_dir, f],
                               capture_output=True)
            enc = os.path.join(enc_dir, os.path.basename(f))
            if r.returncode != 0 or not os.path.exists(enc):
                continue  # refused (no pixel data, unreadable...): covered by the Rust tests
            checked += 1
            try:
                e = pydicom.dcmread(enc)  # not forced: must be a proper DICOM file
                list(e.iterall())
                try:
                    orig = pydicom.dcmread(f, force=True)
                    list(orig.iterall())
                    readable = "SOPInstanceUID" in orig
                except Exception:  # noqa: BLE001
                    readable = False
                if not readable:
                    # pydicom cannot read the original (radguard can): check
                    # what can be checked without it.
                    kinds["original not readable by pydicom: encrypted file and reference decryption checked only"] += 1
                    reference_decrypt(e, keyring)
                    continue
                if any(t in e for t in PIXEL_TAGS):
                    failures.append((f, "encrypted file still has pixel data"))
                if str(e[CREATOR].value).strip() != "RADGUARD CRYPT":
                    failures.append((f, "private creator missing"))
                # The reference decryptor.
                desc, units = reference_decrypt(e, keyring)
                # The protected elements other than pixel data: gone from the
                # encrypted file, their original values in the ciphertext.
                stripped = pydicom.dcmread(f, force=True)
                for x, xu in extra_units_of(desc, units):
                    vr, value = remove_path(stripped, x["path"])
                    if value is None:
                        # A private sequence radguard encrypted whole as UN,
                        # which pydicom parses: its bytes are not compared.
                        kinds["protected UN sequence (parsed by pydicom) not compared"] += 1
                        continue
                    if x["type"] == 10:
                        frags = list(generate_fragments(value[8 + struct.unpack("<I", value[4:8])[0]:]))
                        ok = frags == xu
                    elif stripped.is_little_endian or x["type"] == 1:
                        ok = xu[0] == value or xu[0] + b"\0" == value
                    else:
                        ok = True  # big-endian words: checked by the Rust tests
                    kinds["other protected element decrypted"] += 1
                    if not ok:
                        failures.append((f, f"protected element {x['path']} differs"))
                a = pydicom.Dataset({k: v for k, v in stripped.items() if k not in PIXEL_TAGS})
                b = pydicom.Dataset({k: v for k, v in e.items() if k not in BLOCK})
                compare(a, b, "", kinds)
                units = units[:desc["pixel_units"]]
                px = original_pixels(orig)
                if px is None:
                    if desc["tag"] is not None:
                        failures.append((f, "descriptor names pixel data the original lacks"))
                    continue
                kind, tag, pixels = px
                if desc["tag"] != tag:
                    failures.append((f, "descriptor tag differs"))
                if kind == "native":
                    got = b"".join(units)
                    if got != pixels and not (got[:-1] == pixels and len(got) == len(pixels) + 1):
                        failures.append((f, "reference decryption differs from the original pixel data"))
                else:
                    bot, frags = pixels
                    if units != frags or desc["bot"] != bot:
                        failures.append((f, "reference decryption differs from the original fragments"))
                # radguard's own decryption.
                r = subprocess.run([args.radguard, "decrypt", "--keyring", ring, "-o", dec_dir, enc],
                                   capture_output=True)
                if r.returncode != 0:
                    failures.append((f, "radguard decrypt failed: " + r.stderr.decode(errors="replace")))
                    continue
                back = pydicom.dcmread(os.path.join(dec_dir, os.path.basename(f)))
                compare(orig, back, "", kinds)
                _, _, pixels_back = original_pixels(back)
                if kind == "native":
                    if pixels_back != pixels and not (pixels_back[:-1] == pixels
                                                      and len(pixels_back) == len(pixels) + 1):
                        failures.append((f, "decrypted pixel data differs"))
                elif pixels_back != pixels:
                    failures.append((f, "decrypted fragments differ"))
            except Exception as ex:  # noqa: BLE001 - report, do not stop
                failures.append((f, f"{type(ex).__name__}: {ex}"))
            for k in [k for k in kinds if k.startswith("DIFF")]:
                failures.append((f, k))
                del kinds[k]
    print(f"checked {checked} encrypted files (of {len(files)} inputs)")
    for k, v in sorted(kinds.items()):
        print(f"  {v:7d}  {k}")
    for f, why in failures:
        print(f"FAIL {f}: {why}")
    if checked == 0:
        print("FAIL: nothing was encrypted")
        sys.exit(1)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
