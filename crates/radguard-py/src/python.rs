//! The extension module `radguard._native` (feature `python`).
//!
//! Thin wrappers over the pure-Rust core: each method releases the GIL
//! (`Python::detach`) for the work, so Python threads de-identify in
//! parallel; reports cross into Python as JSON text that
//! `radguard/__init__.py` turns into typed objects; failures become the
//! exceptions of `radguard._errors`.

use std::path::PathBuf;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use radguard_core::SecretKey;
use radguard_crypt::LocalKeyring;
use radguard_deid::{DeidKey, Deidentifier, Profile, PseudonymMap};

use crate::{Failure, crypt, deid, risk};

/// A [`Failure`] as an instance of its `radguard._errors` class.
fn to_py_err(py: Python<'_>, f: Failure) -> PyErr {
    let made = py
        .import("radguard._errors")
        .and_then(|m| m.getattr(f.kind.exception()))
        .and_then(|cls| cls.call1((f.message.as_str(), f.reason.as_str())));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(_) => PyRuntimeError::new_err(f.message),
    }
}

trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Failure> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|f| to_py_err(py, f))
    }
}

/// A de-identification key. Never shows its material (the secret is
/// zeroized when the object is collected).
#[pyclass(name = "DeidKey", module = "radguard._native", frozen)]
struct PyDeidKey(SecretKey);

#[pymethods]
impl PyDeidKey {
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        deid::key_from_file(&path).map(Self).or_raise(py)
    }

    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        deid::key_from_bytes(data).map(Self).or_raise(py)
    }

    #[staticmethod]
    fn random(py: Python<'_>) -> PyResult<Self> {
        SecretKey::generate().map(Self).map_err(|e| {
            to_py_err(
                py,
                Failure::new(crate::FailureKind::KeyFile, "random_failed", e.to_string()),
            )
        })
    }

    #[getter]
    fn id(&self) -> String {
        DeidKey::new(&self.0).id().as_str().to_owned()
    }
}

/// A profile: the Basic Profile with options.
#[pyclass(name = "Profile", module = "radguard._native", frozen)]
struct PyProfile(Profile);

#[pymethods]
impl PyProfile {
    #[new]
    #[pyo3(signature = (options, allow_burned_in, trust_declared_private, keep_text))]
    fn new(
        py: Python<'_>,
        options: Vec<String>,
        allow_burned_in: bool,
        trust_declared_private: bool,
        keep_text: Vec<String>,
    ) -> PyResult<Self> {
        deid::profile(
            &options,
            allow_burned_in,
            trust_declared_private,
            &keep_text,
        )
        .map(Self)
        .or_raise(py)
    }

    #[getter]
    fn options(&self) -> Vec<&'static str> {
        deid::option_names(&self.0)
    }

    fn explain(&self, py: Python<'_>, tag: &str) -> PyResult<String> {
        let t = deid::tag(tag).or_raise(py)?;
        Ok(deid::explanation_json(&self.0.explain(t)).to_string())
    }
}

/// An explicit Patient ID → pseudonym list.
#[pyclass(name = "PseudonymMap", module = "radguard._native", frozen)]
struct PyPseudonymMap(PseudonymMap);

#[pymethods]
impl PyPseudonymMap {
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        deid::pseudonyms_from_file(&path).map(Self).or_raise(py)
    }

    #[staticmethod]
    fn from_pairs(py: Python<'_>, pairs: Vec<(String, String)>) -> PyResult<Self> {
        deid::pseudonyms_from_pairs(&pairs).map(Self).or_raise(py)
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }
}

/// The de-identifier. Immutable and shareable between threads.
#[pyclass(name = "Deidentifier", module = "radguard._native", frozen)]
struct PyDeidentifier(Deidentifier);

#[pymethods]
impl PyDeidentifier {
    #[new]
    #[pyo3(signature = (key, profile, pseudonyms, mapping))]
    fn new(
        key: &PyDeidKey,
        profile: &PyProfile,
        pseudonyms: Option<&PyPseudonymMap>,
        mapping: bool,
    ) -> Self {
        let mut d =
            Deidentifier::new(profile.0.clone(), DeidKey::new(&key.0)).with_mapping(mapping);
        if let Some(p) = pseudonyms {
            d = d.with_pseudonyms(p.0.clone());
        }
        Self(d)
    }

    #[getter]
    fn key_id(&self) -> String {
        self.0.key().id().as_str().to_owned()
    }

    fn deidentify_bytes<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
    ) -> PyResult<(Bound<'py, PyBytes>, String)> {
        let r = py.detach(|| deid::deidentify_bytes(&self.0, data));
        let (out, report) = r.or_raise(py)?;
        let json = deid::report_json(&report, self.0.key()).to_string();
        Ok((PyBytes::new(py, &out), json))
    }

    #[pyo3(signature = (input, output, overwrite))]
    fn deidentify_file(
        &self,
        py: Python<'_>,
        input: PathBuf,
        output: PathBuf,
        overwrite: bool,
    ) -> PyResult<String> {
        let r = py.detach(|| deid::deidentify_file(&self.0, &input, &output, overwrite));
        let report = r.or_raise(py)?;
        Ok(deid::report_json(&report, self.0.key()).to_string())
    }

    /// Returns, per input, `(output path, report JSON, None)` or `(None,
    /// None, exception)`.
    #[pyo3(signature = (inputs, outdir, overwrite))]
    fn deidentify_into(
        &self,
        py: Python<'_>,
        inputs: Vec<PathBuf>,
        outdir: PathBuf,
        overwrite: bool,
    ) -> Vec<(Option<PathBuf>, Option<String>, Option<PyErr>)> {
        let results = py.detach(|| deid::deidentify_into(&self.0, &inputs, &outdir, overwrite));
        results
            .into_iter()
            .map(|r| match r {
                Ok((p, rep)) => (
                    Some(p),
                    Some(deid::report_json(&rep, self.0.key()).to_string()),
                    None,
                ),
                Err(f) => (None, None, Some(to_py_err(py, f))),
            })
            .collect()
    }
}

/// A keyring file of key-encryption keys.
#[pyclass(name = "Keyring", module = "radguard._native", frozen)]
struct PyKeyring(LocalKeyring);

#[pymethods]
impl PyKeyring {
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        py.detach(|| crypt::open_keyring(&path))
            .map(Self)
            .or_raise(py)
    }

    fn keys(&self) -> String {
        crypt::keys_json(&self.0).to_string()
    }

    #[pyo3(signature = (input, output, key_id, segment_size, overwrite))]
    fn encrypt_file(
        &self,
        py: Python<'_>,
        input: PathBuf,
        output: PathBuf,
        key_id: Option<String>,
        segment_size: Option<u32>,
        overwrite: bool,
    ) -> PyResult<String> {
        py.detach(|| {
            crypt::encrypt(
                &input,
                &output,
                &self.0,
                key_id.as_deref(),
                segment_size,
                overwrite,
            )
        })
        .map(|v| v.to_string())
        .or_raise(py)
    }

    #[pyo3(signature = (input, output, overwrite))]
    fn decrypt_file(
        &self,
        py: Python<'_>,
        input: PathBuf,
        output: PathBuf,
        overwrite: bool,
    ) -> PyResult<String> {
        py.detach(|| crypt::decrypt(&input, &output, &self.0, overwrite))
            .map(|v| v.to_string())
            .or_raise(py)
    }
}

#[pyfunction]
fn encryption_info(py: Python<'_>, path: PathBuf) -> PyResult<Option<String>> {
    py.detach(|| crypt::info(&path))
        .map(|v| v.map(|v| v.to_string()))
        .or_raise(py)
}

#[pyfunction]
fn inspect(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    py.detach(|| crypt::inspect(&path))
        .map(|v| v.to_string())
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (vector, lenient))]
fn cvss(py: Python<'_>, vector: &str, lenient: bool) -> PyResult<String> {
    risk::cvss(vector, lenient)
        .map(|v| v.to_string())
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (inventory, format, as_of, kev_json, kev_csv, epss_csv, weights_json))]
fn score_inventory(
    py: Python<'_>,
    inventory: &str,
    format: &str,
    as_of: Option<&str>,
    kev_json: Option<&str>,
    kev_csv: Option<&str>,
    epss_csv: Option<&str>,
    weights_json: Option<&str>,
) -> PyResult<String> {
    let mut i = risk::ScoreInputs::new(inventory, format);
    i.as_of = as_of;
    i.kev_json = kev_json;
    i.kev_csv = kev_csv;
    i.epss_csv = epss_csv;
    i.weights_json = weights_json;
    py.detach(|| risk::score_inventory(&i))
        .map(|v| v.to_string())
        .or_raise(py)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDeidKey>()?;
    m.add_class::<PyProfile>()?;
    m.add_class::<PyPseudonymMap>()?;
    m.add_class::<PyDeidentifier>()?;
    m.add_class::<PyKeyring>()?;
    m.add_function(wrap_pyfunction!(encryption_info, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(cvss, m)?)?;
    m.add_function(wrap_pyfunction!(score_inventory, m)?)?;
    m.add("EDITION", radguard_deid::EDITION)?;
    m.add("OPTIONS", deid::all_option_names())?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
