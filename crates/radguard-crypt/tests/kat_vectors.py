#!/usr/bin/env python3
"""Known-answer vectors for radguard-crypt format v1, computed from the
format specification (src/format.rs) with Python's `cryptography` package,
independently of the Rust code. `tests/kat.rs` holds the output.

    python3 crates/radguard-crypt/tests/kat_vectors.py
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


DK = bytes(range(32))
SALT = bytes(range(32, 64))
KEK = bytes([0x42] * 32)
KEK_ID = b"test-kek"
WRAP_SALT = bytes(range(64, 96))
SEGMENT = 16
UNITS = [b"", b"hello", bytes(range(100, 140))]
METADATA = b"meta"
CONTEXT = b"ctx"

prk = hkdf_extract(SALT, DK)
payload = hkdf_expand(prk, b"radguard-crypt v1 payload key", 32)
commitment = hkdf_expand(prk, b"radguard-crypt v1 key commitment", 32)
prefix = hkdf_expand(prk, b"radguard-crypt v1 nonce prefix", 7)

# Bound header B.
bound = SALT + commitment + struct.pack(">II", SEGMENT, len(UNITS))
bound += b"".join(struct.pack(">Q", len(u)) for u in UNITS)
bound += struct.pack(">I", len(METADATA)) + METADATA

binding = hashlib.sha256(
    b"radguard-crypt v1 binding\0"
    + struct.pack(">Q", len(bound)) + bound
    + struct.pack(">Q", len(CONTEXT)) + CONTEXT
).digest()

# Segments.
segments = []
for u in UNITS:
    if not u:
        segments.append(b"")
    for i in range(0, len(u), SEGMENT):
        segments.append(u[i:i + SEGMENT])
n = len(segments)
gcm = AESGCM(payload)
ciphertext = b""
for i, p in enumerate(segments):
    nonce = prefix + struct.pack(">I", i) + (b"\x01" if i == n - 1 else b"\x00")
    ciphertext += gcm.encrypt(nonce, p, binding)

# Local wrap.
wrap_context = b"radguard-crypt v1 wrap context\0" + SALT + commitment
k_w = HKDF(algorithm=hashes.SHA256(), length=32, salt=WRAP_SALT,
           info=b"radguard-crypt v1 local wrap").derive(KEK)
aad = b"radguard-crypt v1 local wrap" + b"\0" + bytes([len(KEK_ID)]) + KEK_ID + wrap_context
wrapped = b"\x01" + WRAP_SALT + AESGCM(k_w).encrypt(b"\0" * 12, DK, aad)

envelope = (b"RGCRYPT" + bytes([1, 1, len(KEK_ID)]) + KEK_ID
            + struct.pack(">H", len(wrapped)) + wrapped + bound)

# The DICOM context of §5.3.
dicom_context = (b"radguard-crypt dicom v1\0"
                 + struct.pack(">I", len(b"1.2.3.4")) + b"1.2.3.4"
                 + struct.pack(">I", len(b"1.2.840.10008.1.2.1")) + b"1.2.840.10008.1.2.1")

for name, value in [
    ("PAYLOAD_KEY", payload), ("COMMITMENT", commitment), ("NONCE_PREFIX", prefix),
    ("BINDING", binding), ("CIPHERTEXT", ciphertext), ("WRAPPED", wrapped),
    ("ENVELOPE", envelope), ("DICOM_CONTEXT_SHA256", hashlib.sha256(dicom_context).digest()),
]:
    print(f'const {name}: &str = "{value.hex()}";')
