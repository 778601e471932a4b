//! Test fixtures shared by the radguard crates' tests, benches and fuzz
//! seeds. Not published; only ever a dev-dependency.
//!
//! - [`samples`]: the small licence-clean DICOM files bundled in
//!   `tests/data/` (see its README for sources and licences);
//! - [`corpus`]: the team's larger shared corpus (`../shared/corpus` beside
//!   the repository, or `$RADGUARD_CORPUS`), present on CI and developer
//!   machines but not in a user's fresh clone: tests that use it skip when
//!   it is absent;
//! - [`Meter`]: a global allocator that records peak heap use, for tests
//!   that check memory bounds;
//! - [`Rng`]: a small deterministic generator for generated workloads.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

pub use cap::Cap;

/// The workspace root.
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The bundled sample folder, `tests/data`.
#[must_use]
pub fn samples_dir() -> PathBuf {
    workspace_root().join("tests").join("data")
}

/// A bundled sample by its path under `tests/data`, e.g. `"pydicom/MR_small.dcm"`.
///
/// # Panics
///
/// If the file does not exist (a test bug).
#[must_use]
pub fn sample(rel: &str) -> PathBuf {
    let p = samples_dir().join(rel);
    assert!(p.is_file(), "missing sample {}", p.display());
    p
}

/// Every bundled DICOM sample (`*.dcm` and `DICOMDIR` files under
/// `tests/data`; licences, READMEs and other test data excluded), sorted.
#[must_use]
pub fn samples() -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(&samples_dir(), &mut out);
    out.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with(".dcm") || name == "DICOMDIR"
    });
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
}

/// One row of the shared corpus manifest (`MANIFEST.tsv`).
#[derive(Debug, Clone)]
pub struct CorpusFile {
    /// Absolute path of the file.
    pub path: PathBuf,
    /// The manifest's `parse_ok` column: `yes`, `no`, or `force-only (...)`.
    pub parse_ok: String,
    /// The `license_class` column.
    pub license_class: String,
    /// The `transfer_syntax_uid` column.
    pub transfer_syntax_uid: String,
    /// The `sop_class_uid` column.
    pub sop_class_uid: String,
    /// The `size` column (bytes).
    pub size: u64,
    /// The `notes` column.
    pub notes: String,
}

impl CorpusFile {
    /// `true` unless the manifest says the file cannot be parsed at all
    /// (`parse_ok` of `no`). Files that parse only without file meta
    /// (`force-only`) count as parseable: radguard reads them.
    #[must_use]
    pub fn parseable(&self) -> bool {
        self.parse_ok != "no"
    }

    /// `true` for a DICOMDIR (Media Storage Directory Storage).
    #[must_use]
    pub fn is_dicomdir(&self) -> bool {
        self.sop_class_uid == "1.2.840.10008.1.3.10"
    }
}

/// The shared corpus folder, if present: `$RADGUARD_CORPUS`, else
/// `../shared/corpus` beside the workspace.
#[must_use]
pub fn corpus_dir() -> Option<PathBuf> {
    let candidate = std::env::var_os("RADGUARD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("..").join("shared").join("corpus"));
    candidate
        .join("MANIFEST.tsv")
        .is_file()
        .then_some(candidate)
}

/// The shared corpus manifest, or `None` (with a note on stderr) when the
/// corpus is not present.
///
/// # Panics
///
/// If the manifest exists but cannot be read or lacks a required column.
#[must_use]
#[allow(clippy::missing_panics_doc)]
pub fn corpus() -> Option<Vec<CorpusFile>> {
    let Some(dir) = corpus_dir() else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("shared corpus not found (../shared/corpus or $RADGUARD_CORPUS): skipping");
        }
        return None;
    };
    Some(read_manifest(&dir))
}

fn read_manifest(dir: &Path) -> Vec<CorpusFile> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("read MANIFEST.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("manifest header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (c_path, c_ok, c_lic, c_ts, c_sop, c_size, c_notes) = (
        col("path"),
        col("parse_ok"),
        col("license_class"),
        col("transfer_syntax_uid"),
        col("sop_class_uid"),
        col("size"),
        col("notes"),
    );
    let mut out = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| f.get(i).copied().unwrap_or("").to_owned();
        out.push(CorpusFile {
            path: dir.join(get(c_path)),
            parse_ok: get(c_ok),
            license_class: get(c_lic),
            transfer_syntax_uid: get(c_ts),
            sop_class_uid: get(c_sop),
            size: get(c_size).parse().unwrap_or(0),
            notes: get(c_notes),
        });
    }
    out
}

/// A small deterministic pseudo-random generator (xorshift64*) for
/// generated workloads, so that runs are comparable. Not for anything
/// secret.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % n.max(1) as u64).unwrap_or(0)
    }

    /// A capitalized word of `len` ASCII letters, as a name component.
    pub fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|i| {
                let c = b'a' + u8::try_from(self.below(26)).unwrap_or(0);
                char::from(if i == 0 { c.to_ascii_uppercase() } else { c })
            })
            .collect()
    }
}

/// A global allocator that records peak heap use. Install it in a test
/// binary of its own (the peak is process-wide):
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: radguard_testkit::Meter = radguard_testkit::meter();
/// ```
pub type Meter = Cap<std::alloc::System>;

/// A [`Meter`] with no limit.
#[must_use]
pub const fn meter() -> Meter {
    Cap::new(std::alloc::System, usize::MAX)
}

/// JSON helpers for tamper tests: every field of a signed document.
pub mod json {
    use serde_json::Value;

    /// The path (object keys and array indices) of every leaf (string,
    /// number, bool, null) in `v`.
    #[must_use]
    pub fn leaf_paths(v: &Value) -> Vec<Vec<String>> {
        fn walk(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        path.push(k.clone());
                        walk(x, path, out);
                        path.pop();
                    }
                }
                Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        path.push(i.to_string());
                        walk(x, path, out);
                        path.pop();
                    }
                }
                _ => out.push(path.clone()),
            }
        }
        let mut out = Vec::new();
        walk(v, &mut Vec::new(), &mut out);
        out
    }

    /// The value at `path` in `v`, if there is one.
    pub fn at_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
        path.iter().try_fold(v, |v, k| match v {
            Value::Object(m) => m.get_mut(k),
            Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        })
    }
}

/// SoftHSM2, the software PKCS#11 token the key-provider tests run
/// against (`apt-get install softhsm2`), with tokens initialized in a
/// folder of the test's own (`SOFTHSM2_CONF`).
pub mod softhsm {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The SoftHSM2 PKCS#11 module, if SoftHSM2 (module and
    /// `softhsm2-util`) is installed; `$RADGUARD_PKCS11_MODULE` overrides
    /// the usual places.
    #[must_use]
    pub fn module() -> Option<PathBuf> {
        Command::new("softhsm2-util")
            .arg("--version")
            .output()
            .ok()?;
        if let Some(p) = std::env::var_os("RADGUARD_PKCS11_MODULE") {
            return Some(PathBuf::from(p));
        }
        [
            "/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/local/lib/softhsm/libsofthsm2.so",
        ]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
    }

    /// Writes a SoftHSM2 configuration keeping its tokens in
    /// `dir/tokens`, initializes one token per label with user PIN `pin`,
    /// and returns the configuration's path (for `SOFTHSM2_CONF`).
    ///
    /// # Panics
    ///
    /// If the folder cannot be written or `softhsm2-util` fails.
    #[must_use]
    pub fn init_tokens(dir: &Path, labels: &[&str], pin: &str) -> PathBuf {
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).expect("token folder");
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("SoftHSM2 configuration");
        for label in labels {
            let ok = Command::new("softhsm2-util")
                .args(["--init-token", "--free", "--label", label, "--pin", pin])
                .args(["--so-pin", "87654321"])
                .env("SOFTHSM2_CONF", &conf)
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "softhsm2-util --init-token --label {label}");
        }
        conf
    }
}
