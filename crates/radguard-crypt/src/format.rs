//! The on-disk format, versions 2 and 1.
//!
//! This page specifies the format precisely enough to write an independent
//! reader. Version 2 (§5, written since radguard-crypt 0.2) protects every
//! place of a DICOM file where an image or identifying bulk data can hide
//! and binds what interprets the pixels; version 1 (§5 as noted, top-level
//! pixel data only) is still read. The cryptographic core (§1–§4) is the
//! same for both; only the envelope's version byte, the descriptor and the
//! DICOM context differ. Integers are unsigned and **big-endian**; `‖` is concatenation;
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
//! 7       1        version = 0x01 or 0x02 (§6)
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
//! out of range, trailing bytes, a layout over the limits of §3. Version 2
//! has exactly version 1's layout.
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
//! The encrypted file is the original DICOM file with the **protected
//! elements removed** and this private block added (PS3.5 §7.8.1), in the
//! same transfer syntax:
//!
//! | tag | VR | value |
//! |---|---|---|
//! | (7FE1,0052) | LO | `RADGUARD CRYPT` (private creator of block 0x52) |
//! | (7FE1,5201) | OB | the envelope (§4), plus one `0x00` if its length is odd |
//! | (7FE1,5202) | OB | the ciphertext (§3), plus one `0x00` if its length is odd |
//!
//! **Protected elements.** Version 1: the top-level pixel data element —
//! Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float
//! Pixel Data (7FE0,0009). Version 2: that element if present, and every
//! element, at any nesting depth, that is
//!
//! - a pixel data element (7FE0,0008/0009/0010) inside a sequence item
//!   (icon images, images in private sequences) or a second one at the
//!   top level;
//! - Overlay Data (60xx,3000) or, in the retired curve groups, Curve Data
//!   (50xx,3000) and Audio Sample Data (50xx,200C) (xx even);
//! - Encapsulated Document (0042,0011), Waveform Data (5400,1010),
//!   Spectroscopy Data (5600,0020);
//! - a private data element (odd group, element 0x1000 or above) with VR
//!   OB, OW, OF, OD, OL, OV or UN whose value has at least `P` bytes
//!   (`P` = 16 by default, configurable; a private sequence read as UN is
//!   such a value and is encrypted whole);
//! - an element with VR UN whose dictionary VR is SQ (a public sequence
//!   read as opaque bytes), encrypted whole;
//!
//! and whose value is not empty. A sequence item keeps its other elements;
//! only the protected element leaves it.
//!
//! In Implicit VR transfer syntaxes the VRs are not written and readers see
//! UN. No other element of block 0x52 may be present, and no top-level
//! pixel data element may remain. Every other element is kept, so the
//! header stays readable and indexable. Both versions use slot 0x52; a
//! file whose (7FE1,0052) holds another creator is not encrypted. One
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
//! ## 5.2 Units and the descriptor (the envelope's metadata)
//!
//! **Units of the top-level pixel data** (both versions). Encapsulated
//! pixel data: one unit per fragment (the basic offset table is not a unit;
//! it is kept in the descriptor). Native pixel data: when Rows × Columns ×
//! Samples per Pixel × Bits Allocated is a whole number of bytes `F` and
//! Number of Frames × `F` ≤ the value length, one unit per frame of `F`
//! bytes, plus one last unit for any remaining bytes (padding); otherwise
//! the whole value is one unit. Unit bytes are the value bytes exactly as
//! stored in the file (big-endian files stay big-endian), without the item
//! headers of fragments.
//!
//! **Units of the other protected elements** (version 2) follow, element
//! by element in the order of the descriptor: an encapsulated value is one
//! unit per fragment; any other value is one unit holding its values, each
//! as a little-endian integer or IEEE float of the value type's width
//! (bytes as they are for OB and UN; this is the value as decoded, not as
//! stored, so big-endian files restore exactly too).
//!
//! The **pixel descriptor** `PD` (both versions):
//!
//! ```text
//! size  field
//! 2     group of the original tag (0x7FE0)
//! 2     element of the original tag (0x0010, 0x0008 or 0x0009)
//! 2     VR as read ("OB", "OW", "OF", "OD" or "UN")
//! 1     kind: 0 = native, 1 = encapsulated
//! 4     native: the value length as stored; encapsulated: 0xFFFFFFFF
//! 4     Number of Frames (0028,0008) at encryption, 1 if absent
//! 4     native: how many leading units are exactly one frame (0 = not cut per frame); encapsulated: 0
//! 4     b = number of basic offset table entries (native: 0)
//! 4·b   the basic offset table, as read
//! ```
//!
//! A **path** `PATH` names an element through sequence items:
//! `BE16(s)` (1 ≤ s ≤ 64 steps), then per step `BE16(group) ‖ BE16(element)
//! ‖ BE32(item index)`, the item index 0xFFFFFFFF on the last step and only
//! there. `(0088,0200)[0].(7FE0,0010)` is two steps.
//!
//! **Version 1 descriptor**: `0x01 ‖ PD`; every unit belongs to the pixel
//! data.
//!
//! **Version 2 descriptor**:
//!
//! ```text
//! size   field
//! 1      descriptor version = 0x02
//! 1      1 if there is top-level pixel data, else 0; if 1:
//!          PD, then 4 bytes: n = number of its units (the first n units)
//! 4      e = number of other protected elements; per element:
//!          PATH            where it goes back
//!          2               VR as read
//!          1               value type: 1 = bytes, 2 = u16, 3 = i16, 4 = u32,
//!                          5 = i32, 6 = f32, 7 = f64, 8 = u64, 9 = i64,
//!                          10 = encapsulated (fragments)
//!          4               number of units (1, or the fragment count)
//!          4 + 4·b         b, then the basic offset table (encapsulated only; else b = 0)
//! 4      a = number of bound attributes (§5.3); per attribute:
//!          PATH
//!          1               0 = absent, 1 = present; if present:
//!          4 + v           v, then the canonical value (§5.3)
//! 32     the Patient ID digest (§5.3)
//! ```
//!
//! A reader checks: the units add up exactly (pixel data units, then each
//! element's); native pixel units add up to the value length; the
//! frame-unit count equals Number of Frames and the pixel unit count or one
//! less; encapsulated fragments are below 2^32 − 1 bytes; a non-fragment
//! element is one unit whose length is a multiple of its type's width.
//!
//! ## 5.3 The context, the bound attributes and the Patient ID digest
//!
//! **Version 1** context (bound to every segment, read from the file):
//!
//! ```text
//! X = "radguard-crypt dicom v1\0" ‖ BE32(len U) ‖ U ‖ BE32(len T) ‖ T
//! ```
//!
//! `U` is the SOP Instance UID (0008,0018) and `T` the Transfer Syntax UID
//! (0002,0010) **as read from the encrypted file itself** at decryption,
//! each without leading or trailing spaces and NULs.
//!
//! **Version 2** context: the constant `X = "radguard-crypt dicom v2\0"`.
//! What version 1 put in `X`, and more, is in the descriptor, which is part
//! of the bound header `B` and so authenticated by every segment. The
//! **bound attributes** are, sorted by path (step by step: group, element,
//! then item index, a shorter path first):
//!
//! - the Transfer Syntax UID (0002,0010), at path `(0002,0010)`;
//! - at the top level, present or absent: Samples per Pixel (0028,0002),
//!   Photometric Interpretation (0028,0004), Planar Configuration
//!   (0028,0006), Number of Frames (0028,0008), Rows (0028,0010), Columns
//!   (0028,0011), Bits Allocated (0028,0100), Bits Stored (0028,0101), High
//!   Bit (0028,0102), Pixel Representation (0028,0103), Rescale Intercept
//!   (0028,1052), Rescale Slope (0028,1053), Rescale Type (0028,1054), the
//!   Modality LUT's LUT Descriptor (0028,3002), Modality LUT Type
//!   (0028,3004) and LUT Data (0028,3006), the Red, Green and Blue Palette
//!   Color Lookup Table Descriptors (0028,1101–1103) and Data
//!   (0028,1201–1203); and the instance's identity: SOP Instance UID
//!   (0008,0018), Study Instance UID (0020,000D), Series Instance UID
//!   (0020,000E);
//! - every occurrence of the pixel attributes of the previous item inside
//!   sequence items, at any depth (functional groups such as the Pixel
//!   Value Transformation Sequence, icon images, the Modality LUT
//!   Sequence (0028,3000) and VOI LUT items).
//!
//! The **canonical value** of an element is: for text VRs, its value bytes
//! without leading and trailing spaces and NULs (multiple values joined by
//! `\`), also for an attribute whose dictionary VR is a text VR but that
//! arrived as UN; for OB, UN and other byte values, the bytes; for binary numbers
//! (US, SS, UL, SL, UV, SV, FL, FD, OW, OF, OD, OL, OV), each value as a
//! little-endian number; an empty value is empty.
//!
//! The **Patient ID digest** is
//!
//! ```text
//! patient key = HKDF-Expand(PRK, "radguard-crypt v2 patient id key", 32)
//! digest      = HMAC-SHA-256(patient key, canonical value of Patient ID (0010,0020), empty if absent)
//! ```
//!
//! with the `PRK` of §2. It is keyed so that the envelope does not reveal
//! the Patient ID to anyone without the data key (a plain hash of an ID
//! is easily reversed by enumeration).
//!
//! ## 5.4 Decrypting
//!
//! Version 2, in this order, nothing written before the end:
//!
//! 1. parse the envelope and descriptor (§4, §5.2); unwrap `DK` and check
//!    the commitment (§2);
//! 2. open segment 0: its tag authenticates `B`, hence the descriptor;
//!    failure is the opaque error;
//! 3. compute the bound attributes of the encrypted file's header (the
//!    private block does not count) and compare them with the descriptor's:
//!    any difference (changed, removed or added value) is refused, naming
//!    the first differing attribute by path;
//! 4. compute the Patient ID digest of the header and compare (constant
//!    time): a difference is reported, and refused in strict mode;
//! 5. decrypt the other protected elements and put each back at its path
//!    (refused if the item on the path is gone or an element stands there);
//! 6. stream the pixel data's segments, verifying each batch before
//!    writing it.
//!
//! Version 1: compute `X` from the file, then step 6 only.
//!
//! Then remove (7FE1,0052) and (7FE1,5201), insert the original pixel data
//! element — native: the concatenated units; encapsulated: a basic offset
//! table item holding the stored table, one fragment item per unit, a
//! sequence delimiter — and keep everything else. The result holds the same
//! data set as the file that was encrypted (radguard-dicom's normalizations
//! on reading aside: group lengths dropped, sequences written with
//! undefined length, odd values padded, encapsulated Pixel Data written as
//! OB), except for the attributes a PACS may legitimately edit (everything
//! not bound), which keep their edited values.
//!
//! # 6. Versioning
//!
//! Version 1: envelope version 0x01, descriptor version 0x01, DICOM context
//! label `dicom v1`. Version 2: envelope version 0x02, descriptor version
//! 0x02, context label `dicom v2`; the suite byte and the labels of §2–§3
//! (which still say `v1`) are unchanged. The envelope version byte is not
//! in `B`, but it cannot be flipped to downgrade a file: each version's
//! reader requires its own descriptor version (inside `B`) and uses its own
//! context, so a flipped byte fails like any tampering. Readers reject
//! versions they do not know (with the same opaque error, so a version byte
//! cannot be used to probe a reader). Writers write version 2.
