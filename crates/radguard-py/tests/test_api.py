"""The Python API: round trips, errors, no PHI in messages, crypt, risk."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

import radguard
from conftest import SAMPLES, mr_variant, run

MR = SAMPLES / "pydicom" / "MR_small.dcm"
KEY = bytes(range(32))


def deid(**kw) -> radguard.Deidentifier:
    return radguard.Deidentifier(KEY, radguard.Profile(**kw))


def test_bytes_file_and_folder_calls_agree(tmp_path: Path) -> None:
    d = deid()
    out, rep = d.deidentify_bytes(MR.read_bytes())
    assert out[128:132] == b"DICM" and out[:128] == bytes(128)
    assert rep.identity["sop_instance_uid"].startswith("2.25.")
    assert rep.relative_path.endswith(rep.identity["sop_instance_uid"] + ".dcm")
    assert rep.counts["uids_replaced"] > 0
    assert rep.key_id == d.key_id == radguard.DeidKey.from_bytes(KEY).id
    assert rep.audit["status"] == "done" and rep.mapping is None
    # Deterministic: again, and with the key in hex.
    assert d.deidentify_bytes(MR.read_bytes())[0] == out
    assert radguard.Deidentifier(KEY.hex().encode()).deidentify_bytes(MR.read_bytes())[0] == out
    # A file, and a folder under the pseudonymous layout.
    r = d.deidentify_file(MR, tmp_path / "x" / "a.dcm")
    assert (tmp_path / "x" / "a.dcm").read_bytes() == out
    assert r.output == str(tmp_path / "x" / "a.dcm")
    with pytest.raises(radguard.OutputExistsError) as e:
        d.deidentify_file(MR, tmp_path / "x" / "a.dcm")
    assert isinstance(e.value, FileExistsError) and e.value.reason == "output_exists"
    d.deidentify_file(MR, tmp_path / "x" / "a.dcm", overwrite=True)
    reports = d.deidentify_into([MR, tmp_path / "missing.dcm"], tmp_path / "out")
    assert isinstance(reports[0], radguard.Report)
    assert Path(reports[0].output) == tmp_path / "out" / rep.relative_path
    assert (tmp_path / "out" / rep.relative_path).read_bytes() == out
    assert isinstance(reports[1], radguard.RadguardIOError) and isinstance(reports[1], OSError)


def test_other_keys_and_options_change_the_output() -> None:
    a, _ = deid().deidentify_bytes(MR.read_bytes())
    b, _ = radguard.Deidentifier(bytes(32)).deidentify_bytes(MR.read_bytes())
    c, rep = deid(options=["retain-uids"]).deidentify_bytes(MR.read_bytes())
    assert len({a, b, c}) == 3
    assert rep.counts["uids_replaced"] == 0


def test_pydicom_dataset_round_trip() -> None:
    pydicom = pytest.importorskip("pydicom")
    ds = pydicom.dcmread(MR)
    anon = deid().deidentify_dataset(ds)
    assert anon.PatientName != ds.PatientName and str(anon.PatientName).startswith("RG")
    assert anon.PatientID == str(anon.PatientName)
    assert anon.SOPInstanceUID.startswith("2.25.")
    assert anon.file_meta.MediaStorageSOPInstanceUID == anon.SOPInstanceUID
    assert anon.PatientIdentityRemoved == "YES"
    assert anon.PixelData == ds.PixelData
    assert "PatientBirthDate" not in anon or anon.PatientBirthDate == ""


def test_pseudonyms_and_mapping() -> None:
    pydicom = pytest.importorskip("pydicom")
    original_id = pydicom.dcmread(MR).PatientID
    d = radguard.Deidentifier(KEY, pseudonyms={original_id: "STUDY-001"}, mapping=True)
    out, rep = d.deidentify_bytes(MR.read_bytes())
    assert pydicom.dcmread(io.BytesIO(out)).PatientID == "STUDY-001"
    assert rep.identity["patient_id"] == "STUDY-001"
    assert [original_id, "STUDY-001"] in rep.mapping["patient_ids"]
    assert all(new.startswith("2.25.") for _, new in rep.mapping["uids"])
    assert "STUDY-001" not in repr(radguard.PseudonymMap({"A": "STUDY-001"}))
    with pytest.raises(radguard.InvalidInputError) as e:
        radguard.PseudonymMap({"A": "P1", "B": "P1"})
    assert e.value.reason == "bad_mapping" and "P1" not in str(e.value)


def test_explain() -> None:
    e = radguard.Profile().explain("0010,0010")
    assert (e.effective, e.source, e.name) == ("Z", "basic", "Patient's Name")
    e = radguard.Profile(options=["retain-long-modified-dates"]).explain("(0008,0020)")
    assert e.effective == "C" and e.source == "option:retain-long-modified-dates"
    assert "effective: C" in str(e)
    with pytest.raises(radguard.InvalidInputError):
        radguard.Profile().explain("patient name")


def test_bad_inputs_raise_with_the_cli_reasons(tmp_path: Path, rg: Path) -> None:
    d = deid()
    data = MR.read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(radguard.RadguardError) as e:
        d.deidentify_bytes(cut.read_bytes())
    # The same reason code and message as the command line's audit/summary.
    key = tmp_path / "k"
    key.write_bytes(KEY)
    key.chmod(0o600)
    r = run(rg, "--json", "deid", "--key-file", key, "-o", tmp_path / "o", "--audit", tmp_path / "a.jsonl", cut, ok=False)
    cli = json.loads(r.stdout)["files"][0]
    assert cli["reason"] == str(e.value)
    audit = json.loads((tmp_path / "a.jsonl").read_text())
    assert audit["reason"]["code"] == e.value.reason
    with pytest.raises(radguard.NotDicomError) as e:
        d.deidentify_bytes(b"not a dicom file at all" * 10)
    assert e.value.reason == "not_dicom"
    with pytest.raises(radguard.InvalidInputError, match="unknown de-identification option"):
        radguard.Profile(options=["retain-everything"])
    with pytest.raises(ValueError):
        radguard.Profile(options=["retain-long-full-dates", "retain-long-modified-dates"])
    with pytest.raises(TypeError):
        radguard.Profile(option=["retain-uids"])  # unknown keyword


def test_key_files(tmp_path: Path) -> None:
    k = tmp_path / "deid.key"
    k.write_text(KEY.hex() + "\n")
    k.chmod(0o644)
    with pytest.raises(radguard.KeyFileError) as e:
        radguard.DeidKey.from_file(k)
    assert "chmod 600" in str(e.value) and "mode 644" in str(e.value)
    assert KEY.hex() not in str(e.value)
    k.chmod(0o600)
    assert radguard.DeidKey.from_file(k).id == radguard.DeidKey.from_bytes(KEY).id
    bad = tmp_path / "bad.key"
    bad.write_text("my-secret-password")
    bad.chmod(0o600)
    with pytest.raises(radguard.KeyFileError) as e:
        radguard.Deidentifier(bad)
    assert "my-secret" not in str(e.value)
    with pytest.raises(radguard.KeyFileError) as e:
        radguard.DeidKey.from_bytes(b"short-secret")
    assert "short-secret" not in str(e.value)
    with pytest.raises(radguard.RadguardIOError):
        radguard.DeidKey.from_file(tmp_path / "missing")
    assert KEY.hex() not in repr(radguard.DeidKey.from_bytes(KEY))


def test_no_phi_in_exception_messages(tmp_path: Path) -> None:
    pydicom = pytest.importorskip("pydicom")
    ds = pydicom.dcmread(MR)
    ds.PatientName = "SECRETNAME^JANE"
    ds.PatientID = "MRN-424242"
    ds.PatientBirthDate = "19471103"
    ds.BurnedInAnnotation = "YES"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    data = buf.getvalue()
    phi = ["SECRETNAME", "JANE", "424242", "19471103"]
    errors = []
    for bad in (data, data[: len(data) - 3000], data[:700], data[:200] + b"\xff" * 40):
        try:
            deid().deidentify_bytes(bad)
        except radguard.RadguardError as e:
            errors.append(e)
    assert len(errors) == 4
    assert isinstance(errors[0], radguard.RefusedError)
    assert errors[0].reason == "burned_in_annotation" and "allow_burned_in=True" in str(errors[0])
    for e in errors:
        text = f"{e} {e!r} {e.reason} {e.args}"
        assert not any(p in text for p in phi), text
    # With burned-in annotation allowed, the header is de-identified.
    out, rep = deid(allow_burned_in=True).deidentify_bytes(data)
    assert rep.burned_in_retained and not any(p.encode() in out for p in phi)


def test_encrypt_decrypt_inspect(tmp_path: Path, rg: Path) -> None:
    ring_path = tmp_path / "ring"
    run(rg, "keys", "new", "--keyring", ring_path)
    ring = radguard.Keyring(ring_path)
    (key,) = ring.keys()
    assert key["status"] == "primary" and set(key) == {"id", "status"}
    enc, dec = tmp_path / "e.dcm", tmp_path / "d.dcm"
    info = ring.encrypt_file(MR, enc)
    assert info["key_id"] == key["id"] and info["plaintext_bytes"] == 8192
    assert radguard.encryption_info(enc) == info
    assert radguard.encryption_info(MR) is None
    assert radguard.inspect(enc).get("pixel_data") is None
    ring.decrypt_file(enc, dec)
    pydicom = pytest.importorskip("pydicom")
    assert pydicom.dcmread(dec).PixelData == pydicom.dcmread(MR).PixelData
    # The CLI decrypts what Python encrypted.
    run(rg, "decrypt", "--keyring", ring_path, "-o", tmp_path / "cli", enc)
    assert (tmp_path / "cli" / "e.dcm").read_bytes() == dec.read_bytes()
    # Tampering is detected; a keyring without the key cannot decrypt.
    raw = bytearray(enc.read_bytes())
    at = raw.index(b"\xe1\x7f\x02\x52")  # (7FE1,5202): the pixel ciphertext
    raw[at + 500] ^= 1
    (tmp_path / "t.dcm").write_bytes(bytes(raw))
    with pytest.raises(radguard.DecryptionError) as e:
        ring.decrypt_file(tmp_path / "t.dcm", tmp_path / "t2.dcm")
    assert e.value.reason == "decrypt_failed"
    other = tmp_path / "other"
    run(rg, "keys", "new", "--keyring", other)
    with pytest.raises(radguard.KeyManagementError):
        radguard.Keyring(other).decrypt_file(enc, tmp_path / "x.dcm")
    ring_path.chmod(0o644)
    with pytest.raises(radguard.RadguardError):
        radguard.Keyring(ring_path)
    s = radguard.inspect(MR)
    assert s["modality"] == "MR" and s["pixel_data"]["rows"] == 64


def test_cvss_and_risk(rg: Path) -> None:
    v = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert radguard.cvss(v)["score"] == 9.8
    assert radguard.cvss(v) == json.loads(run(rg, "--json", "risk", "cvss", v).stdout)
    v4 = "CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    with pytest.raises(radguard.InvalidInputError, match="out of order"):
        radguard.cvss(v4)
    assert radguard.cvss(v4, lenient=True)["version"] == "4.0"
    risk = SAMPLES / "risk"
    args = dict(as_of="2026-01-15", kev=risk / "kev-sample.json", epss=risk / "epss-sample.csv")
    report = radguard.score_inventory(risk / "reference-scenarios.yaml", **args)
    cli = run(rg, "--json", "risk", "score", risk / "reference-scenarios.yaml", "--as-of", "2026-01-15",
              "--kev", risk / "kev-sample.json", "--epss", risk / "epss-sample.csv", ok=False)
    assert report == json.loads(cli.stdout)
    assert report["devices"] and all(0 <= d["score"] <= 100 for d in report["devices"])
    with pytest.raises(radguard.InvalidInputError, match="as_of"):
        radguard.score_inventory(risk / "sample-inventory.csv")


def test_shard_of_matches_the_cli(tmp_path: Path, rg: Path, key_file: Path) -> None:
    src = tmp_path / "in"
    for i in range(12):
        p = src / f"d{i % 4}" / f"f{i}.dcm"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(mr_variant(i))
    rels = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.dcm"))
    for i in range(3):
        out = tmp_path / f"o{i}"
        r = run(rg, "--json", "deid", "--layout", "mirror", "--key-file", key_file,
                "--shard", f"{i}/3", "-o", out, src)
        got = sorted(Path(f["input"]).relative_to(src).as_posix() for f in json.loads(r.stdout)["files"])
        assert got == [x for x in rels if radguard.shard_of(x, 3) == i]
    assert radguard.shard_of("a/b.dcm", 7) == 1
    assert radguard.shard_of("./a//b.dcm", 7) == 1
