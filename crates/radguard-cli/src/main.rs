//! `radguard`: de-identify, encrypt, wipe and score medical imaging data
//! and devices, from the command line.
//!
//! Conventions shared by every subcommand:
//!
//! - human output by default, `--json` for one machine-readable JSON
//!   document on stdout; errors and warnings always on stderr;
//! - a progress bar for work that takes over a second, on a terminal only;
//! - exit code 0 when every input was done, 1 when some inputs failed, 2
//!   for usage or setup errors (bad arguments, unreadable key file, ...),
//!   3 when `cert verify` finds a valid signature by a signer it does not
//!   trust, 130 (SIGINT) or 143 (SIGTERM) when interrupted;
//! - `SIGINT` and `SIGTERM` remove what the run was writing (temporary
//!   `.radguard-*.part` files, plaintext above all) before exiting; a wipe
//!   stops cleanly at the first one and writes its certificate;
//! - everything printed for people is escaped (`output::esc`);
//! - secrets only from files or from an environment variable naming a
//!   file, never from the command line.

#![forbid(unsafe_code)]

mod audit;
mod cmd;
mod evidence;
mod inputs;
mod output;
mod progress;
mod secrets;
mod shard;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use signal_hook::consts::{SIGINT, SIGTERM};

use clap::{Parser, Subcommand};

use crate::output::Output;

/// Medical imaging security: inspect, de-identify, encrypt, wipe and score.
#[derive(Debug, Parser)]
#[command(name = "radguard", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Print one JSON document on stdout instead of human-readable text.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a PHI-free structural summary of DICOM files.
    Inspect(cmd::inspect::Args),
    /// Encrypt the pixel data of DICOM files (header stays readable).
    Encrypt(cmd::crypt::EncryptArgs),
    /// Decrypt files encrypted by `radguard encrypt`.
    Decrypt(cmd::crypt::DecryptArgs),
    /// Manage key-encryption keys: new, list, rotate, destroy (crypto-erase).
    Keys(cmd::keys::Args),
    /// De-identify DICOM files per PS3.15 Annex E (2026c), with keyed, reproducible UIDs and pseudonyms.
    Deid(Box<cmd::deid::Args>),
    /// Score imaging devices' risk (MIRS): CVSS, KEV, EPSS, SSVC, plans.
    Risk(cmd::risk::Args),
    /// Sanitize files, folders, free space or block devices (IEEE
    /// 2883-2022 Clear by overwrite; NIST SP 800-88 Rev. 2 record) and
    /// write a signed certificate.
    Wipe(cmd::wipe::Args),
    /// Verify or show certificates of sanitization.
    #[command(subcommand)]
    Cert(cmd::cert::Command),
    /// Merge the audit files or mapping folders of the shards of a run
    /// (`deid --shard I/N`).
    #[command(subcommand)]
    Merge(shard::MergeCommand),
}

/// How a command ended, when it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every input was processed.
    AllDone,
    /// Some inputs failed; the others were processed.
    SomeFailed,
    /// A certificate verified, but its signer is not trusted here.
    UnknownSigner,
}

/// Exits with 130 (SIGINT) or 143 (SIGTERM) after removing what the run
/// was writing, on the first of those signals. SIGKILL's leftovers are
/// removed by the next run (they are unlocked `.radguard-*.part` files).
fn remove_partial_files_on_signal(out: Output) {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let n = radguard_core::fs::abandon_pending();
            out.warn(format_args!(
                "interrupted: {n} partial output file(s) removed; outputs completed before the interrupt were kept"
            ));
            std::process::exit(128 + sig);
        }
    });
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // clap uses exit code 2 for usage errors, 0 for --help/--version.
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let out = Output::new(cli.json);
    let result = match &cli.command {
        Command::Inspect(args) => cmd::inspect::run(args, out),
        Command::Encrypt(args) => {
            remove_partial_files_on_signal(out);
            cmd::crypt::encrypt(args, out)
        }
        Command::Decrypt(args) => {
            remove_partial_files_on_signal(out);
            cmd::crypt::decrypt(args, out)
        }
        Command::Keys(args) => {
            remove_partial_files_on_signal(out);
            cmd::keys::run(args, out)
        }
        Command::Deid(args) => cmd::deid::run(args, out),
        Command::Risk(args) => cmd::risk::run(args, out),
        Command::Wipe(args) => {
            // The first Ctrl-C asks the wipe to stop cleanly (it still
            // writes an "incomplete" certificate); a second one exits at once.
            let stop = Arc::new(AtomicBool::new(false));
            for sig in [SIGINT, SIGTERM] {
                let _ =
                    signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop));
                let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
            }
            cmd::wipe::run(args, out, &stop)
        }
        Command::Cert(c) => cmd::cert::run(c, out),
        Command::Merge(c) => shard::merge(c, out),
    };
    match result {
        Ok(Outcome::AllDone) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Ok(Outcome::UnknownSigner) => ExitCode::from(3),
        Err(e) => {
            out.error(&e);
            ExitCode::from(2)
        }
    }
}
