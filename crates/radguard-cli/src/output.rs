//! How every subcommand talks to the user: human text by default, one JSON
//! document with `--json`, errors and warnings on stderr.
//!
//! This is the only module allowed to print. Everything it prints for
//! people goes through [`esc`] (`radguard_core::printable`): file names,
//! certificate fields and error texts can hold control characters,
//! terminal escape sequences or bidirectional controls, which would let a
//! crafted name or a forged certificate erase, overwrite or reorder lines
//! on the terminal. Names are escaped where they are put into a message
//! (so a newline in a name shows as `\n`), and every line is escaped again
//! as it is printed (only the line breaks of multi-line output survive).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::path::Path;

use serde::Serialize;

/// `text` made safe to show on a terminal: every control, escape and
/// bidirectional character becomes a visible escape (`\n`, `\u{1b}`,
/// `\u{202e}`). The one escaping function of the CLI.
pub(crate) fn esc(text: impl Display) -> String {
    radguard_core::printable(&text.to_string()).into_owned()
}

/// A path, escaped for a terminal (see [`esc`]).
pub(crate) fn path(p: &Path) -> String {
    esc(p.display())
}

/// Escapes each line of `text`, keeping its line breaks.
fn lines(text: &str) -> String {
    text.split('\n').map(esc).collect::<Vec<_>>().join("\n")
}

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

    /// Prints a line of human output (suppressed in JSON mode); multi-line
    /// text keeps its line breaks, everything else is escaped.
    pub(crate) fn line(self, text: impl Display) {
        if !self.json {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`radguard ... | head`) is not an error worth a panic.
            let _ = writeln!(out, "{}", lines(&text.to_string()));
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

    /// Prints text on stdout whatever the mode, as it is: for a document
    /// that must reach the user even when it could not be saved (a signed
    /// certificate, which is JSON and escapes its own strings).
    pub(crate) fn document(self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// A warning, always on stderr, on one line.
    pub(crate) fn warn(self, text: impl Display) {
        eprintln!("warning: {}", esc(text));
    }

    /// An error, always on stderr, with its cause chain.
    pub(crate) fn error(self, err: &anyhow::Error) {
        eprintln!("error: {}", esc(err));
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {}", esc(cause));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_lines_cannot_move_the_cursor() {
        let evil = "a\u{1b}[1A\u{1b}[2Kvalid\nsignature\u{202e}";
        let e = esc(evil);
        assert!(!e.contains('\u{1b}') && !e.contains('\n') && !e.contains('\u{202e}'));
        assert_eq!(e, "a\\u{1b}[1A\\u{1b}[2Kvalid\\nsignature\\u{202e}");
        // Multi-line output keeps its breaks, nothing else.
        assert_eq!(lines("x\u{7}\ny"), "x\\u{7}\ny");
        assert_eq!(path(Path::new("dir/IM\r0001")), "dir/IM\\r0001");
    }
}
