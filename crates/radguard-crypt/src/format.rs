//! The on-disk format, version 1.
//!
//! This page specifies the format precisely enough to write an independent
//! reader. Integers are unsigned and **big-endian**; `‖` is concatenation;
//! `BEn(x)` is `x` as an n-bit big-endian integer; strings are ASCII
//! without terminator unless a `\0` is written. The known-answer tests in
//! `tests/kat.rs` were computed from this page with Python's `cryptography`
//! package (`tests/kat_vectors.py`).
//!
//! # 1. Algorithms (suite 1)
//!
//! | use | algorithm |
//! |---|---|
//! | segment encryption | AES-256-GCM, 96-bit nonces, 128-bit tags (NIST SP 800-38D) |
//! | key derivation | HKDF with SHA-256 (RFC 5869) |
//! | binding digest | SHA-256 |
//! | data key | 32 random bytes from the operating system, fresh per instance |
//!
//! # 2. Key hierarchy
//!
//! - A **key-encryption key** (KEK) lives in a key provider (keyring file,
//!   KMS, HSM) and is named by a **key id** (1–64 characters of
//!   `A-Z a-z 0-9 . _ : -`).
//! - Each encrypted stream (one DICOM instance) has its own random 32-byte
//!   **data key** `DK` and random 32-byte **salt** `S`. From them:
//!
//!   ```text
//!   PRK          = HKDF-Extract(salt = S, IKM = DK)
//!   payload key  = HKDF-Expand(PRK, "radguard-crypt v1 payload key",    32)
//!   commitment   = HKDF-Expand(PRK, "radguard-crypt v1 key commitment", 32)
//!   nonce prefix = HKDF-Expand(PRK, "radguard-crypt v1 nonce prefix",    7)
//!   ```
//!
//! - The **commitment** is stored in the envelope. A reader derives it from
//!   the unwrapped data key and compares (constant time) before decrypting
//!   anything: a ciphertext therefore decrypts under one data key only
//!   (128-bit key-commitment security, as in C2SP chunked-encryption), even
//!   though AES-GCM alone is not key-committing.
//! - `DK` is **wrapped** by the key provider under the KEK with the wrap
//!   context `"radguard-crypt v1 wrap context\0" ‖ S ‖ commitment`. The
//!   wrapped bytes are opaque to the format (1–4096 bytes).
//!
//! ## 2.1 Local wrapping (keyring files, `StaticKey`)
//!
//! Providers that hold raw 256-bit KEKs ([`LocalKeyring`](crate::LocalKeyring),
//! [`StaticKey`](crate::StaticKey), [`wrap_data_key`](crate::wrap_data_key))
//! produce 81 bytes:
//!
//! ```text
//! W   = 32 random bytes
//! K_w = HKDF-SHA-256(salt = W, IKM = KEK, info = "radguard-crypt v1 local wrap", L = 32)
//! aad = "radguard-crypt v1 local wrap" ‖ 0x00 ‖ BE8(len(key id)) ‖ key id ‖ wrap context
//! wrapped = 0x01 ‖ W ‖ AES-256-GCM-Encrypt(K_w, nonce = 12 zero bytes, aad, DK)   (32 + 16 bytes)
//! ```
//!
//! Every wrap uses a fresh one-time key, so the all-zero nonce never
//! repeats under a key and the number of wraps per KEK is not limited by
//! GCM's random-nonce bound.
//!
//! # 3. Units, segments, nonces
//!
//! The plaintext is a list of **units** (§5 says what they are for DICOM).
//! With segment size `N` (16 ≤ `N` ≤ 2^24), a unit of `L` bytes is cut into
//! `max(1, ceil(L / N))` **segments**: all `N` bytes but the last; an empty
//! unit is one empty segment. Segments are numbered `i = 0, 1, ...` across
//! all units in order; a stream has at most 2^32 − 1 segments and 1 to
//! 2^24 units.
//!
//! Segment `i` of a stream of `n` segments is encrypted as
//!
//! ```text
//! nonce_i = nonce prefix ‖ BE32(i) ‖ (0x01 if i = n − 1 else 0x00)
//! C_i ‖ T_i = AES-256-GCM-Encrypt(payload key, nonce_i, aad = binding, P_i)
//! ```
//!
//! (the STREAM construction of Hoang–Reyhanitabar–Rogaway–Vizár with
//! Tink's nonce layout). The **ciphertext** is `C_0 ‖ T_0 ‖ C_1 ‖ T_1 ‖ ...`,
//! so segment `i` starts at byte `(plaintext bytes before it) + 16·i`: any
//! unit can be read and decrypted alone. The counter stops reordering and
//! dropping segments, the last-segment flag stops truncation, the binding
//! stops splicing between streams and instances.
//!
//! # 4. The envelope
//!
//! ```text
//! offset  size     field
//! 0       7        magic "RGCRYPT"
//! 7       1        version = 0x01
//! 8       1        suite = 0x01 (§1)
//! 9       1        k = length of the key id (1..=64)
//! 10      k        key id of the KEK (ASCII)
//!         2        w = length of the wrapped data key (1..=4096)
//!         w        wrapped data key
//!         ---- bound header B: from here to the end ----
//!         32       salt S
//!         32       commitment
//!         4        segment size N
//!         4        u = number of units (1..=2^24)
//!         8·u      plaintext length of each unit
//!         4        m = length of the metadata (0..=2^24)
//!         m        metadata (application-defined; §5.2 for DICOM)
//! ```
//!
//! A reader rejects anything else: other magic, version or suite, lengths
//! out of range, trailing bytes, a layout over the limits of §3.
//!
//! The **binding** (associated data of every segment) is
//!
//! ```text
//! binding = SHA-256("radguard-crypt v1 binding\0" ‖ BE64(len B) ‖ B ‖ BE64(len X) ‖ X)
//! ```
//!
//! where `X` is the **context**: bytes the application supplies at both
//! ends and does not store in the envelope (§5.3 for DICOM). The key id and
//! wrapped key are outside `B` on purpose: re-wrapping under a new KEK
//! (rotation) changes only them, never the segments. They are protected
//! instead by the wrap (the local wrap authenticates the key id) and by the
//! commitment (a different data key cannot pass it).
//!
//! Decryption order: parse the envelope; unwrap `DK` through the provider
//! named by the key id; derive and compare the commitment; compute the
//! binding; open the segments needed, releasing a segment's plaintext only
//! after its tag verified. Every failure is the same opaque error.
//!
//! # 5. DICOM files
//!
//! ## 5.1 Where things are
//!
//! The encrypted file is the original DICOM file with the top-level
//! pixel data element — Pixel Data (7FE0,0010), Float Pixel Data
//! (7FE0,0008) or Double Float Pixel Data (7FE0,0009) — **removed**, and
//! this private block added (PS3.5 §7.8.1), in the same transfer syntax:
//!
//! | tag | VR | value |
//! |---|---|---|
//! | (7FE1,0052) | LO | `RADGUARD CRYPT` (private creator of block 0x52) |
//! | (7FE1,5201) | OB | the envelope (§4), plus one `0x00` if its length is odd |
//! | (7FE1,5202) | OB | the ciphertext (§3), plus one `0x00` if its length is odd |
//!
//! In Implicit VR transfer syntaxes the VRs are not written and readers see
//! UN. No other element of block 0x52 may be present, and no top-level
//! pixel data element may remain. Every other element is kept, so the
//! header stays readable and indexable. Format v1 always uses slot 0x52;
//! a file whose (7FE1,0052) holds another creator is not encrypted. One
//! instance holds at most 2^32 − 2 bytes of ciphertext.
//!
//! Why a private element and not ciphertext inside (7FE0,0010): a viewer
//! that finds Pixel Data renders it, so ciphertext in place would be shown
//! as a noise image (and encapsulated ciphertext would be fed to JPEG
//! decoders); with the element removed a viewer shows "no image", and a
//! tool cannot mistake ciphertext for an image. Private elements of an
//! unknown creator are carried through by DICOM tools (PS3.5 §7.8), so an
//! archive keeps the block intact. The cost: until decrypted the instance
//! lacks the Type 1 Pixel Data of its IOD (validators will say so).
//!
//! ## 5.2 The metadata: a pixel descriptor
//!
//! ```text
//! offset  size  field
//! 0       1     descriptor version = 0x01
//! 1       2     group of the original tag (0x7FE0)
//! 3       2     element of the original tag (0x0010, 0x0008 or 0x0009)
//! 5       2     VR as read ("OB", "OW", "OF", "OD" or "UN")
//! 7       1     kind: 0 = native, 1 = encapsulated
//! 8       4     native: the value length as stored; encapsulated: 0xFFFFFFFF
//! 12      4     Number of Frames (0028,0008) at encryption, 1 if absent
//! 16      4     native: how many leading units are exactly one frame (0 = not cut per frame); encapsulated: 0
//! 20      4     b = number of basic offset table entries (native: 0)
//! 24      4·b   the basic offset table, as read
//! ```
//!
//! **Units.** Encapsulated pixel data: one unit per fragment (the basic
//! offset table is not a unit; it is kept in the descriptor). Native pixel
//! data: when Rows × Columns × Samples per Pixel × Bits Allocated is a
//! whole number of bytes `F` and Number of Frames × `F` ≤ the value length,
//! one unit per frame of `F` bytes, plus one last unit for any remaining
//! bytes (padding); otherwise the whole value is one unit. Unit bytes are
//! the value bytes exactly as stored in the file (big-endian files stay
//! big-endian), without the item headers of fragments. A reader checks:
//! native units add up to the value length; the frame-unit count equals
//! Number of Frames and the unit count or one less; encapsulated data is
//! (7FE0,0010) with a fragment length below 2^32 − 1.
//!
//! ## 5.3 The context
//!
//! ```text
//! X = "radguard-crypt dicom v1\0" ‖ BE32(len U) ‖ U ‖ BE32(len T) ‖ T
//! ```
//!
//! `U` is the SOP Instance UID (0008,0018) and `T` the Transfer Syntax UID
//! (0002,0010) **as read from the encrypted file itself** at decryption,
//! each without leading or trailing spaces and NULs. Ciphertext copied into
//! another instance, or a file relabelled with another transfer syntax
//! (which would change how the restored bytes are read), fails to decrypt.
//! Together with `B` this binds the original element's tag, VR, length,
//! layout and frame count.
//!
//! ## 5.4 Decrypting
//!
//! Remove (7FE1,0052) and (7FE1,5201), insert the original element — native:
//! the concatenated units; encapsulated: a basic offset table item holding
//! the stored table, one fragment item per unit, a sequence delimiter — and
//! keep everything else. The result holds the same data set as the file
//! that was encrypted (radguard-dicom's normalizations on reading aside:
//! group lengths dropped, sequences written with undefined length, odd
//! values padded, encapsulated Pixel Data written as OB).
//!
//! # 6. Versioning
//!
//! The envelope version, the suite byte, the descriptor version and the
//! labels all say `v1`. A change to any of them is a new version; readers
//! reject versions they do not know (with the same opaque error, so a
//! version byte cannot be used to probe a reader).
