//! De-identification as the Python package offers it: profiles from option
//! names, keys from files or bytes, and reports as JSON documents.
//!
//! Every call goes through [`radguard_deid::Deidentifier`] exactly as
//! `radguard deid` does, so the same key, options and input give the same
//! bytes and the same output names.

use std::path::{Path, PathBuf};

use radguard_core::secret_file;
use radguard_core::{AttrTag, SecretKey};
use radguard_deid::{
    DeidKey, DeidOption, Deidentifier, Explanation, Profile, PseudonymMap, Report, RuleSource,
};
use radguard_dicom::WriteOptions;
use serde_json::{Value, json};

use crate::{Failure, FailureKind};

/// Parses an attribute tag written `GGGG,EEEE` (or `(GGGG,EEEE)`, or
/// `GGGGEEEE`).
///
/// # Errors
///
/// [`FailureKind::InvalidInput`] for anything else.
pub fn tag(text: &str) -> Result<AttrTag, Failure> {
    text.trim()
        .parse::<AttrTag>()
        .map_err(|e| Failure::invalid("bad_tag", &e))
}

/// A profile: the Basic Profile plus the named options.
///
/// # Errors
///
/// [`FailureKind::InvalidInput`] for an unknown option, a malformed tag in
/// `keep_text`, or options that exclude each other.
pub fn profile(
    options: &[String],
    allow_burned_in: bool,
    trust_declared_private: bool,
    keep_text: &[String],
) -> Result<Profile, Failure> {
    let options = options
        .iter()
        .map(|o| o.parse::<DeidOption>())
        .collect::<Result<Vec<_>, _>>()?;
    let mut b = Profile::builder()
        .options(options)
        .allow_burned_in(allow_burned_in)
        .trust_declared_private(trust_declared_private);
    for t in keep_text {
        b = b.keep_free_text(tag(t)?);
    }
    Ok(b.build()?)
}

/// The names of the options a profile applies.
#[must_use]
pub fn option_names(p: &Profile) -> Vec<&'static str> {
    p.options().iter().map(|o| o.name()).collect()
}

/// Every option name, in the standard's order.
#[must_use]
pub fn all_option_names() -> Vec<&'static str> {
    DeidOption::ALL.iter().map(|o| o.name()).collect()
}

/// A key read from a key file, with the CLI's checks (regular file, mode
/// 0600, 64 hexadecimal characters or 32 raw bytes).
///
/// # Errors
///
/// [`FailureKind::KeyFile`] or [`FailureKind::Io`].
pub fn key_from_file(path: &Path) -> Result<SecretKey, Failure> {
    Ok(secret_file::read_key_file(path)?)
}

/// A key from bytes: exactly 32 raw bytes, or 64 hexadecimal characters.
///
/// # Errors
///
/// [`FailureKind::KeyFile`] for anything else (the message never shows
/// the bytes).
pub fn key_from_bytes(bytes: &[u8]) -> Result<SecretKey, Failure> {
    secret_file::parse_key(bytes).ok_or_else(|| {
        Failure::new(
            FailureKind::KeyFile,
            "bad_key",
            "a key is 64 hexadecimal characters or exactly 32 raw bytes",
        )
    })
}

/// A pseudonym list from a CSV file (`original,pseudonym` lines).
///
/// # Errors
///
/// [`FailureKind::Io`] if unreadable, [`FailureKind::InvalidInput`] if
/// malformed (the message gives the line, never the values).
pub fn pseudonyms_from_file(path: &Path) -> Result<PseudonymMap, Failure> {
    let f = std::fs::File::open(path).map_err(|e| {
        Failure::new(
            FailureKind::Io,
            "io_error",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    Ok(PseudonymMap::from_csv(f)?)
}

/// A pseudonym list from (original, pseudonym) pairs, checked as a CSV
/// file is.
///
/// # Errors
///
/// [`FailureKind::InvalidInput`] as [`pseudonyms_from_file`].
pub fn pseudonyms_from_pairs(pairs: &[(String, String)]) -> Result<PseudonymMap, Failure> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for (a, b) in pairs {
        w.write_record([a, b]).map_err(|_| {
            Failure::new(
                FailureKind::InvalidInput,
                "bad_mapping",
                "invalid pseudonym pair",
            )
        })?;
    }
    let bytes = w.into_inner().map_err(|_| {
        Failure::new(
            FailureKind::InvalidInput,
            "bad_mapping",
            "invalid pseudonym pairs",
        )
    })?;
    Ok(PseudonymMap::from_csv(bytes.as_slice())?)
}

/// A report as the JSON document the Python `Report` wraps: counts, the
/// output identity and its relative path, the key id, the audit record,
/// and (when asked for) the mapping.
///
/// # Security
///
/// Holds no PHI unless the de-identifier was built with mapping on: then
/// `mapping` holds original identifiers, for the data custodian.
#[must_use]
pub fn report_json(r: &Report, key: &DeidKey) -> Value {
    let mapping = r.mapping.as_ref().map(|m| {
        let m = m.expose();
        json!({ "uids": m.uids, "patient_ids": m.patient_ids })
    });
    json!({
        "counts": serde_json::to_value(&r.counts).unwrap_or(Value::Null),
        "identity": serde_json::to_value(&r.identity).unwrap_or(Value::Null),
        "relative_path": r.identity.relative_path().to_string_lossy(),
        "key_id": key.id().as_str(),
        "study_digest": r.study_digest.as_ref().map(|d| serde_json::to_value(d).unwrap_or(Value::Null)),
        "burned_in_retained": r.burned_in_retained,
        "audit": serde_json::to_value(&r.audit).unwrap_or(Value::Null),
        "mapping": mapping,
    })
}

/// An explanation as a JSON document (what `radguard deid --explain`
/// prints with `--json`, plus the source and the text).
#[must_use]
pub fn explanation_json(e: &Explanation) -> Value {
    let source = match e.source {
        RuleSource::Basic => "basic".to_owned(),
        RuleSource::Option(o) => format!("option:{o}"),
        RuleSource::Pattern => "pattern".to_owned(),
        RuleSource::Extension => "extension".to_owned(),
        _ => "not-listed".to_owned(),
    };
    json!({
        "tag": e.tag.to_string(),
        "name": e.name,
        "basic": e.basic.map(|r| r.to_string()),
        "options": e.option_actions.iter().map(|(o, a)| (o.name(), a.to_string())).collect::<Vec<_>>(),
        "effective": e.effective.to_string(),
        "source": source,
        "text": e.to_string(),
    })
}

/// De-identifies an encoded file held in memory.
///
/// # Errors
///
/// The de-identifier's errors as [`Failure`]s.
pub fn deidentify_bytes(d: &Deidentifier, input: &[u8]) -> Result<(Vec<u8>, Report), Failure> {
    Ok(d.deidentify_bytes(input)?)
}

/// De-identifies `input` into `output`, atomically.
///
/// # Errors
///
/// The de-identifier's errors; [`FailureKind::Exists`] if `output` exists
/// and `overwrite` is off.
pub fn deidentify_file(
    d: &Deidentifier,
    input: &Path,
    output: &Path,
    overwrite: bool,
) -> Result<Report, Failure> {
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    Ok(d.deidentify_file(input, output, &WriteOptions::new().overwrite(overwrite))?)
}

/// De-identifies each input into `outdir` under radguard's pseudonymous
/// layout (as `radguard deid` names outputs), then commits them all with
/// one file system sync. Returns, per input, the output path and report
/// or the failure.
#[must_use]
pub fn deidentify_into(
    d: &Deidentifier,
    inputs: &[PathBuf],
    outdir: &Path,
    overwrite: bool,
) -> Vec<Result<(PathBuf, Report), Failure>> {
    let opts = WriteOptions::new().overwrite(overwrite);
    let mut results: Vec<Result<(PathBuf, Report), Failure>> = Vec::with_capacity(inputs.len());
    let mut pending = Vec::new();
    let mut pending_at = Vec::new();
    for input in inputs {
        match d.deidentify_file_into(input, outdir, &opts) {
            Ok((p, report)) => {
                pending_at.push(results.len());
                results.push(Ok((p.path().to_path_buf(), report)));
                pending.push(p);
            }
            Err(e) => results.push(Err(e.into())),
        }
    }
    for ((_, r), i) in radguard_dicom::commit_all(pending)
        .into_iter()
        .zip(pending_at)
    {
        if let Err(e) = r {
            results[i] = Err(e.into());
        }
    }
    results
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn deid() -> Deidentifier {
        Deidentifier::new(
            profile(&[], true, false, &[]).unwrap(),
            DeidKey::new(&SecretKey::from_bytes([3; 32])),
        )
    }

    #[test]
    fn files_bytes_and_folder_layout_agree() {
        let dir = tempfile::tempdir().unwrap();
        let d = deid();
        // Deflated files too: the compressed stream does not depend on
        // how the writer was fed.
        for (i, name) in ["dicognito/CT_small_deflated.dcm", "pydicom/image_dfl.dcm"]
            .into_iter()
            .enumerate()
        {
            let input = radguard_testkit::sample(name);
            let (bytes, _) = deidentify_bytes(&d, &std::fs::read(&input).unwrap()).unwrap();
            let out = dir.path().join(format!("dfl{i}.dcm"));
            deidentify_file(&d, &input, &out, false).unwrap();
            assert!(std::fs::read(&out).unwrap() == bytes, "{name}");
        }
        let input = radguard_testkit::sample("pydicom/MR_small.dcm");
        let (bytes, r1) = deidentify_bytes(&d, &std::fs::read(&input).unwrap()).unwrap();
        let out = dir.path().join("a/b.dcm");
        deidentify_file(&d, &input, &out, false).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), bytes);
        let e = deidentify_file(&d, &input, &out, false).unwrap_err();
        assert_eq!(e.kind, FailureKind::Exists);
        let r = deidentify_into(&d, &[input, dir.path().join("missing")], dir.path(), false);
        let (path, r2) = r[0].as_ref().unwrap();
        assert_eq!(path, &dir.path().join(r1.identity.relative_path()));
        assert_eq!(std::fs::read(path).unwrap(), bytes);
        assert_eq!(r2.identity, r1.identity);
        assert_eq!(r[1].as_ref().unwrap_err().kind, FailureKind::Io);
    }

    #[test]
    fn keys_profiles_pseudonyms() {
        let k = key_from_bytes("ab".repeat(32).as_bytes()).unwrap();
        assert_eq!(
            k.expose_secret(),
            key_from_bytes(&[0xab; 32]).unwrap().expose_secret()
        );
        let e = key_from_bytes(b"secret-ish").unwrap_err();
        assert!(!e.message.contains("secret-ish"));
        let e = profile(&["retain-everything".into()], false, false, &[]).unwrap_err();
        assert_eq!(e.kind, FailureKind::InvalidInput);
        let e = profile(
            &[
                "retain-long-full-dates".into(),
                "retain-long-modified-dates".into(),
            ],
            false,
            false,
            &[],
        )
        .unwrap_err();
        assert_eq!(e.reason, "conflicting_options");
        let p = profile(
            &["clean-descriptors".into()],
            false,
            false,
            &["0028,3003".into()],
        )
        .unwrap();
        assert_eq!(option_names(&p), ["clean-descriptors"]);
        let e = pseudonyms_from_pairs(&[("A".into(), "P1".into()), ("B".into(), "P1".into())])
            .unwrap_err();
        assert_eq!(e.reason, "bad_mapping");
        assert!(!e.message.contains("P1"));
        let ex = explanation_json(&Profile::basic().explain(tag("0010,0010").unwrap()));
        assert_eq!(ex["effective"], "Z");
        assert_eq!(ex["source"], "basic");
    }
}
