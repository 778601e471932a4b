//! How every subcommand talks to the user: human text by default, one JSON
//! document with `--json`, errors and warnings on stderr.
//!
//! This is the only module allowed to print.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use serde::Serialize;

/// An error and its causes on one line (`what: why: deeper why`): library
/// errors keep their cause in `source()` rather than repeating it.
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The output channel chosen on the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    json: bool,
}

impl Output {
    pub(crate) fn new(json: bool) -> Self {
        Self { json }
    }

    /// `true` when machine output was asked for.
    pub(crate) fn is_json(self) -> bool {
        self.json
    }

    /// `true` when progress bars may be drawn: human mode and a terminal on stderr.
    pub(crate) fn progress_allowed(self) -> bool {
        !self.json && std::io::stderr().is_terminal()
    }

    /// Prints a line of human output (suppressed in JSON mode).
    pub(crate) fn line(self, text: impl std::fmt::Display) {
        if !self.json {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`radguard ... | head`) is not an error worth a panic.
            let _ = writeln!(out, "{text}");
        }
    }

    /// Prints the command's JSON document (only in JSON mode).
    pub(crate) fn json<T: Serialize + ?Sized>(self, value: &T) -> anyhow::Result<()> {
        if self.json {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, value)?;
            let _ = writeln!(out);
        }
        Ok(())
    }

    /// A warning, always on stderr.
    pub(crate) fn warn(self, text: impl std::fmt::Display) {
        eprintln!("warning: {text}");
    }

    /// An error, always on stderr, with its cause chain.
    pub(crate) fn error(self, err: &anyhow::Error) {
        eprintln!("error: {err}");
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
    }
}
