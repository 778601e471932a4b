//! Turning `INPUT...` arguments (files and folders) into jobs with mirrored
//! output paths: a folder's files keep their path relative to the folder, a
//! file given directly keeps its name.
//!
//! Every walk skips radguard's own temporary files (`.radguard-*.part`,
//! [`radguard_core::fs::is_temp_name`]) and removes, in each folder it
//! enters, those that runs which died left there ([`sweep`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use radguard_core::fs::{is_temp_name, remove_stale_temp_files};

use crate::output;

/// One file to process.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// The input file.
    pub(crate) input: PathBuf,
    /// Where its output goes.
    pub(crate) output: PathBuf,
}

/// The jobs to run, and the inputs that could not become jobs.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) jobs: Vec<Job>,
    pub(crate) problems: Vec<(PathBuf, anyhow::Error)>,
}

/// What identifies a file or folder on this machine, whatever the path
/// that names it: device and inode where there are such things, else the
/// canonical path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileId {
    /// Device and inode numbers.
    #[cfg(unix)]
    Inode(u64, u64),
    /// The canonical path.
    #[cfg(not(unix))]
    Canonical(PathBuf),
}

impl FileId {
    /// The identity of what `path` names (following symbolic links), or
    /// `None` if it does not exist or cannot be read.
    pub(crate) fn of(path: &Path) -> Option<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(path)
                .ok()
                .map(|m| Self::Inode(m.dev(), m.ino()))
        }
        #[cfg(not(unix))]
        {
            path.canonicalize().ok().map(Self::Canonical)
        }
    }
}

/// `true` for a walk entry that is one of radguard's temporary files.
pub(crate) fn is_temp(e: &walkdir::DirEntry) -> bool {
    e.depth() > 0 && is_temp_name(e.file_name())
}

/// Removes the temporary files that runs which died left in `dir` (their
/// lock is free), once per folder per run. Returns how many.
pub(crate) fn sweep(dir: &Path) -> usize {
    remove_stale_temp_files(dir).map_or(0, |v| v.len())
}

/// A usage error when the output folder is one of the input folders: the
/// walk would skip it and the run would do nothing while reporting
/// success.
pub(crate) fn refuse_output_in_inputs(inputs: &[PathBuf], outdir: &Path) -> anyhow::Result<()> {
    let Some(out_id) = FileId::of(outdir) else {
        return Ok(());
    };
    for input in inputs.iter().filter(|i| i.is_dir()) {
        if FileId::of(input).as_ref() == Some(&out_id) {
            bail!(
                "the output folder {} is the input folder {}: nothing would be processed; choose an output folder outside the inputs",
                output::path(outdir),
                output::path(input)
            );
        }
    }
    Ok(())
}

/// Lists every regular file under the inputs (symbolic links are not
/// followed, temporary files skipped) and maps it under `outdir`.
///
/// # Errors
///
/// The output folder is an input folder ([`refuse_output_in_inputs`]).
pub(crate) fn plan(inputs: &[PathBuf], outdir: &Path) -> anyhow::Result<Plan> {
    refuse_output_in_inputs(inputs, outdir)?;
    let mut plan = Plan::default();
    let mut seen_outputs = HashSet::new();
    let out_id = FileId::of(outdir);
    for input in inputs {
        let meta = match std::fs::symlink_metadata(input) {
            Ok(m) => m,
            Err(e) => {
                plan.problems
                    .push((input.clone(), anyhow!("cannot read input: {e}")));
                continue;
            }
        };
        let mut found = Vec::new();
        if meta.is_dir() {
            // Never pick up our own earlier output when the output folder
            // lies inside an input folder: that folder is not entered.
            let walk = walkdir::WalkDir::new(input)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    let is_outdir = e.file_type().is_dir()
                        && out_id.is_some()
                        && FileId::of(e.path()) == out_id;
                    !(is_temp(e) || is_outdir)
                });
            for entry in walk {
                match entry {
                    Ok(e) if e.file_type().is_dir() => {
                        sweep(e.path());
                    }
                    Ok(e) if e.file_type().is_file() => {
                        let rel = e
                            .path()
                            .strip_prefix(input)
                            .unwrap_or(e.path())
                            .to_path_buf();
                        found.push((e.path().to_path_buf(), rel));
                    }
                    Ok(e) if e.file_type().is_symlink() => plan.problems.push((
                        e.path().to_path_buf(),
                        anyhow!("symbolic link not followed"),
                    )),
                    Ok(_) => {}
                    Err(e) => plan
                        .problems
                        .push((input.clone(), anyhow!("cannot walk folder: {e}"))),
                }
            }
        } else if meta.is_file() && input.file_name().is_some_and(is_temp_name) {
            plan.problems.push((
                input.clone(),
                anyhow!("a radguard temporary file (a partial output of an interrupted run), not an input"),
            ));
        } else if meta.is_file() {
            match input.file_name() {
                Some(name) => found.push((input.clone(), PathBuf::from(name))),
                None => plan
                    .problems
                    .push((input.clone(), anyhow!("input has no file name"))),
            }
        } else {
            plan.problems
                .push((input.clone(), anyhow!("not a regular file or folder")));
        }
        for (path, rel) in found {
            let output = outdir.join(&rel);
            if !seen_outputs.insert(output.clone()) {
                plan.problems.push((
                    path,
                    anyhow!("another input already maps to {}", output::path(&output)),
                ));
                continue;
            }
            plan.jobs.push(Job {
                input: path,
                output,
            });
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn mirrors_folders_and_keeps_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::create_dir_all(a.join("s1/s2")).unwrap();
        fs::write(a.join("s1/s2/x.dcm"), b"x").unwrap();
        fs::write(a.join("top.dcm"), b"x").unwrap();
        let single = dir.path().join("single.dcm");
        fs::write(&single, b"x").unwrap();
        let out = dir.path().join("out");
        let p = plan(&[a, single], &out).unwrap();
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let outs: Vec<_> = p.jobs.iter().map(|j| j.output.clone()).collect();
        assert!(outs.contains(&out.join("s1/s2/x.dcm")));
        assert!(outs.contains(&out.join("top.dcm")));
        assert!(outs.contains(&out.join("single.dcm")));
        assert_eq!(outs.len(), 3);
    }

    #[test]
    fn reports_collisions_and_missing_inputs() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("d1")).unwrap();
        fs::create_dir_all(dir.path().join("d2")).unwrap();
        fs::write(dir.path().join("d1/x.dcm"), b"x").unwrap();
        fs::write(dir.path().join("d2/x.dcm"), b"x").unwrap();
        let out = dir.path().join("out");
        let p = plan(
            &[
                dir.path().join("d1"),
                dir.path().join("d2"),
                dir.path().join("missing"),
            ],
            &out,
        )
        .unwrap();
        assert_eq!(p.jobs.len(), 1);
        assert_eq!(p.problems.len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn does_not_follow_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("d");
        fs::create_dir_all(&d).unwrap();
        fs::write(dir.path().join("secret"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), d.join("link.dcm")).unwrap();
        let p = plan(&[d], &dir.path().join("out")).unwrap();
        assert!(p.jobs.is_empty());
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn skips_and_removes_temporary_files_and_refuses_output_as_input() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::create_dir_all(a.join("s")).unwrap();
        fs::write(a.join("s/x.dcm"), b"x").unwrap();
        // A dead run's partial output: skipped, and removed.
        let dead = a.join("s/.radguard-Ab12Cd.part");
        fs::write(&dead, b"partial plaintext").unwrap();
        let p = plan(std::slice::from_ref(&a), &dir.path().join("out")).unwrap();
        assert_eq!(p.jobs.len(), 1, "{:?}", p.jobs);
        assert!(p.problems.is_empty());
        #[cfg(target_os = "linux")]
        assert!(!dead.exists());
        let e = plan(std::slice::from_ref(&a), &a).unwrap_err().to_string();
        assert!(e.contains("is the input folder"), "{e}");
    }
}
