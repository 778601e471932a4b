//! `--audit FILE`: the one audit trail of every command that reads or
//! changes protected data.
//!
//! Each command appends [`AuditRecord`]s, one JSON object per line (JSON
//! Lines), to the file named by `--audit`, through the one
//! [`AuditSink`] implementation below. The schema is the serialization of
//! [`AuditRecord`] (documented in the README's "Audit trail" section):
//! operation, status, tool and version, reason code, input and output
//! paths, key id, labels, counts, keyed digests and times. By construction
//! a record holds no value read from a file and no key material.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use radguard_core::{AuditRecord, AuditSink};

/// `--audit FILE`, shared by every command that keeps an audit trail.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AuditArg {
    /// Append one PHI-free JSON audit record per input to this file (JSON
    /// Lines, created with mode 0600 if missing).
    #[arg(long, value_name = "FILE")]
    pub(crate) audit: Option<PathBuf>,
}

/// A JSON Lines audit file opened for appending.
#[derive(Debug)]
pub(crate) struct AuditLog {
    writer: BufWriter<File>,
    path: PathBuf,
}

impl AuditLog {
    /// Opens (or creates, mode 0600) `path` for appending.
    pub(crate) fn open(path: &Path) -> anyhow::Result<Self> {
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts
            .open(path)
            .with_context(|| format!("cannot open audit file {}", path.display()))?;
        Ok(Self {
            writer: BufWriter::new(file),
            path: path.to_path_buf(),
        })
    }

    /// Writes the buffered records and makes them durable.
    pub(crate) fn finish(self) -> anyhow::Result<()> {
        let path = self.path;
        self.writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot write audit file {}", path.display()))
    }
}

impl AuditSink for AuditLog {
    type Error = std::io::Error;

    fn record(&mut self, record: &AuditRecord) -> Result<(), Self::Error> {
        serde_json::to_writer(&mut self.writer, record)?;
        self.writer.write_all(b"\n")
    }
}

/// An optional audit log shared by worker threads.
#[derive(Debug, Default)]
pub(crate) struct Audit(Option<Mutex<AuditLog>>);

impl Audit {
    /// Opens the file named by `arg`, if any.
    pub(crate) fn open(arg: &AuditArg) -> anyhow::Result<Self> {
        let log = arg.audit.as_deref().map(AuditLog::open).transpose()?;
        Ok(Self(log.map(Mutex::new)))
    }

    /// Appends records (nothing when no audit file was asked for).
    pub(crate) fn record_all<'a>(
        &self,
        records: impl IntoIterator<Item = &'a AuditRecord>,
    ) -> anyhow::Result<()> {
        let Some(log) = &self.0 else {
            return Ok(());
        };
        let mut log = log
            .lock()
            .map_err(|_| anyhow::anyhow!("audit writer poisoned"))?;
        let path = log.path.clone();
        for r in records {
            log.record(r)
                .with_context(|| format!("cannot write audit file {}", path.display()))?;
        }
        log.writer
            .flush()
            .with_context(|| format!("cannot write audit file {}", path.display()))
    }

    /// Appends one record.
    pub(crate) fn record(&self, record: &AuditRecord) -> anyhow::Result<()> {
        self.record_all([record])
    }

    /// Flushes and syncs the file.
    pub(crate) fn finish(self) -> anyhow::Result<()> {
        match self.0 {
            Some(m) => m
                .into_inner()
                .map_err(|_| anyhow::anyhow!("audit writer poisoned"))?
                .finish(),
            None => Ok(()),
        }
    }
}

/// Milliseconds since the Unix epoch, for record times.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
