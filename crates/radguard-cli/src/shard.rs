//! Scale-out: `--shard I/N` splits a batch into N disjoint parts that N
//! processes (a Kubernetes Indexed Job, a Slurm job array, N machines) run
//! independently, and `radguard merge` joins their audit files and mapping
//! tables into what one run would have written.
//!
//! The partition depends only on each input's path relative to the input
//! folder it was found in (a file given directly: its name): shard
//! `u64::from_be_bytes(SHA-256(path)[0..8]) mod N`, the path's components
//! joined by `/` as raw bytes. It does not depend on the machine, the
//! process, the order of the walk, the key, or where the input folder is
//! mounted, so N workers that each list the same tree agree on who does
//! what without talking to each other. Shards are numbered from 0, as
//! Kubernetes' `JOB_COMPLETION_INDEX` is.
//!
//! In Python: `int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big") % n`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use radguard_core::fs::{AtomicOptions, write_atomic};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Outcome;
use crate::inputs::Job;
use crate::output::Output;

/// One part of a batch split `count` ways: `--shard INDEX/COUNT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shard {
    index: u64,
    count: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("expected I/N with 0 <= I < N (shards are numbered from 0), got {s:?}");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard (of `count`) that the input at relative path `rel` belongs to.
pub(crate) fn shard_of(rel: &Path, count: u64) -> u64 {
    let mut h = Sha256::new();
    let mut first = true;
    for c in rel.components() {
        if let Component::Normal(part) = c {
            if !first {
                h.update(b"/");
            }
            h.update(part.as_encoded_bytes());
            first = false;
        }
    }
    let d = h.finalize();
    let mut top = [0u8; 8];
    top.copy_from_slice(&d[..8]);
    u64::from_be_bytes(top) % count.max(1)
}

impl Shard {
    /// Keeps the jobs of this shard. A job's relative path is its mirrored
    /// output path relative to `outdir` (see [`crate::inputs::plan`]).
    pub(crate) fn retain(&self, jobs: &mut Vec<Job>, outdir: &Path) {
        jobs.retain(|j| {
            let rel = j.output.strip_prefix(outdir).unwrap_or(&j.output);
            shard_of(rel, self.count) == self.index
        });
    }
}

/// `radguard merge`: join what the shards of one run wrote.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum MergeCommand {
    /// Merge the JSON Lines audit files (--audit) of the shards of a run
    /// into one, in an order that does not depend on the split.
    Audit(MergeArgs),
    /// Merge the mapping folders (--mapping) of the shards of a run into
    /// one: each table once, rows sorted and deduplicated; the same original
    /// mapped to two replacements (shards run with different keys) is an error.
    Mapping(MergeArgs),
}

/// Arguments of `radguard merge audit|mapping`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// The merged audit file, or mapping folder.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: PathBuf,
    /// Replace an existing merged file (or the tables of an existing folder).
    #[arg(long)]
    overwrite: bool,
    /// The shards' audit files, or mapping folders.
    #[arg(required = true, value_name = "PART")]
    parts: Vec<PathBuf>,
}

#[derive(Serialize)]
struct MergeSummary {
    output: String,
    parts: usize,
    /// Audit records, or distinct rows per mapping table.
    rows: BTreeMap<&'static str, usize>,
    /// Inputs with records in more than one audit file.
    #[serde(skip_serializing_if = "Option::is_none")]
    overlapping_inputs: Option<usize>,
}

pub(crate) fn merge(cmd: &MergeCommand, out: Output) -> anyhow::Result<Outcome> {
    let summary = match cmd {
        MergeCommand::Audit(a) => merge_audit(a, out)?,
        MergeCommand::Mapping(a) => merge_mapping(a)?,
    };
    out.line(format_args!(
        "merged {} part(s) into {}: {}",
        summary.parts,
        summary.output,
        summary
            .rows
            .iter()
            .map(|(t, n)| format!("{n} {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.json(&summary)?;
    Ok(Outcome::AllDone)
}

/// A record's identity for ordering: its JSON with sorted keys and without
/// times, then its times.
fn audit_sort_key(v: &serde_json::Value) -> (String, String) {
    let mut v = v.clone();
    let mut times = String::new();
    if let Some(o) = v.as_object_mut() {
        for k in ["started_unix_ms", "finished_unix_ms"] {
            if let Some(t) = o.remove(k) {
                times.push_str(&format!("{t:>24}"));
            }
        }
    }
    (v.to_string(), times)
}

/// What names a record's input: the plain path, or its keyed digest.
fn audit_input(v: &serde_json::Value) -> Option<String> {
    v.get("input")
        .or_else(|| v.get("digests").and_then(|d| d.get("input_path")))
        .map(ToString::to_string)
}

fn merge_audit(a: &MergeArgs, out: Output) -> anyhow::Result<MergeSummary> {
    let mut records = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut overlapping = BTreeSet::new();
    for (part, path) in a.parts.iter().enumerate() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read audit file {}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line)
                .ok()
                .filter(|v: &serde_json::Value| {
                    v.get("operation").is_some() && v.get("status").is_some()
                })
                .with_context(|| {
                    format!(
                        "{}, line {}: not a radguard audit record",
                        path.display(),
                        n + 1
                    )
                })?;
            if let Some(input) = audit_input(&v) {
                match seen.get(&input) {
                    Some(p) if *p != part => {
                        overlapping.insert(input);
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(input, part);
                    }
                }
            }
            records.push((audit_sort_key(&v), line.to_owned()));
        }
    }
    if !overlapping.is_empty() {
        out.warn(format_args!(
            "{} input(s) have records in more than one file (overlapping shards, or a shard run twice); all records are kept",
            overlapping.len()
        ));
    }
    records.sort();
    let mut bytes = Vec::new();
    for (_, line) in &records {
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    write_new(&a.output, &bytes, a.overwrite)?;
    Ok(MergeSummary {
        output: a.output.display().to_string(),
        parts: a.parts.len(),
        rows: BTreeMap::from([("records", records.len())]),
        overlapping_inputs: Some(overlapping.len()),
    })
}

/// The tables of a mapping folder: name, header, and whether an original
/// must have one replacement only.
const TABLES: [(&str, &str, bool); 3] = [
    ("uid_mapping.csv", "id_old,id_new", true),
    ("patid_mapping.csv", "id_old,id_new", true),
    ("paths.csv", "input,output", false),
];

fn merge_mapping(a: &MergeArgs) -> anyhow::Result<MergeSummary> {
    use std::os::unix::fs::DirBuilderExt;
    let mut rows = BTreeMap::new();
    let mut merged = Vec::new();
    for (name, header, functional) in TABLES {
        let mut set: BTreeSet<(String, String)> = BTreeSet::new();
        for dir in &a.parts {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            let mut r = csv::Reader::from_path(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            for (n, rec) in r.records().enumerate() {
                let rec = rec.with_context(|| format!("{}: not valid CSV", path.display()))?;
                if rec.len() != 2 {
                    bail!("{}, row {}: expected two columns", path.display(), n + 1);
                }
                set.insert((rec[0].to_owned(), rec[1].to_owned()));
            }
        }
        if functional {
            // Sorted, so two replacements of one original are neighbours.
            let mut prev: Option<&(String, String)> = None;
            for row in &set {
                if let Some(p) = prev
                    && p.0 == row.0
                {
                    bail!(
                        "{name}: one original identifier has two replacements: the parts were made with different keys or pseudonym lists"
                    );
                }
                prev = Some(row);
            }
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        for (x, y) in &set {
            w.write_record([x, y])?;
        }
        let mut bytes = format!("{header}\n").into_bytes();
        bytes.extend(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
        rows.insert(name, set.len());
        merged.push((name, bytes));
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&a.output)
        .with_context(|| format!("cannot create the mapping folder {}", a.output.display()))?;
    for (name, bytes) in merged {
        write_new(&a.output.join(name), &bytes, a.overwrite)?;
    }
    Ok(MergeSummary {
        output: a.output.display().to_string(),
        parts: a.parts.len(),
        rows,
        overlapping_inputs: None,
    })
}

/// Writes a file atomically with mode 0600, refusing to replace one
/// unless asked.
fn write_new(path: &Path, bytes: &[u8], overwrite: bool) -> anyhow::Result<()> {
    if !overwrite && path.exists() {
        bail!("{} exists; pass --overwrite to replace it", path.display());
    }
    write_atomic(path, bytes, &AtomicOptions::new().overwrite(overwrite))
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            "2/7".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 7 }
        );
        assert_eq!("0/1".parse::<Shard>().unwrap().to_string(), "0/1");
        for bad in ["7/7", "1/0", "x/2", "1", "-1/2", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn partition_is_stable_and_documented() {
        // Pinned values: the partition must never change between releases
        // or platforms (python3 -c 'import hashlib; print(int.from_bytes(
        // hashlib.sha256(b"a/b.dcm").digest()[:8], "big") % 7)').
        assert_eq!(shard_of(Path::new("a/b.dcm"), 1), 0);
        assert_eq!(shard_of(Path::new("a/b.dcm"), 7), 1);
        assert_eq!(shard_of(Path::new("a/b.dcm"), 3), 2);
        let h = shard_of(Path::new("a/b.dcm"), u64::MAX);
        assert_eq!(h, 13_557_984_093_780_154_064); // < u64::MAX, so unreduced
        assert_eq!(shard_of(Path::new("a//b.dcm"), u64::MAX), h);
        assert_eq!(shard_of(Path::new("./a/b.dcm"), u64::MAX), h);
        // Every input in exactly one shard, and the shards roughly even.
        let n = 7;
        let mut sizes = [0u32; 7];
        for i in 0..7000 {
            let s = shard_of(Path::new(&format!("p{i}/x.dcm")), n);
            sizes[usize::try_from(s).unwrap()] += 1;
        }
        assert!(sizes.iter().all(|&c| (800..1200).contains(&c)), "{sizes:?}");
    }
}
