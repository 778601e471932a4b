//! Key operations survive being killed at any moment, never overlap, and
//! refuse what they cannot do safely.
//!
//! - `keys rotate` over several archives and `keys destroy`, each killed
//!   with SIGKILL at random points (at least 50 kills each): after every
//!   kill the keyring parses and every file decrypts with a key it holds
//!   (for destroy: or the key is gone from the keyring file and the files
//!   under it no longer open); the next operation simply works and leaves
//!   no temporary file and no lock file behind.
//! - Two rotations started together are serialised by the keyring lock.
//! - A keyring owned by another user or with a second hard link is refused;
//!   an output folder that is an input folder is a usage error; file names
//!   are printed escaped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{ok, s};
use radguard_crypt::dicom::{EncryptedFile, encryption_info};
use radguard_crypt::{KeyProvider, KeyStatus, LocalKeyring};
use radguard_testkit::Rng;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn p(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_radguard"));
        c.args(args)
            .env("XDG_CONFIG_HOME", self.p("cfg"))
            .env("XDG_STATE_HOME", self.p("state"))
            .env_remove("RADGUARD_KEYRING")
            .env_remove("RADGUARD_WIPE_SIGN_KEY");
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
    fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }
    fn ring(&self) -> PathBuf {
        self.p("keys/ring")
    }
}

/// A keyring with one key and `archives` folders of `per` encrypted files.
fn setup(env: &Env, archives: usize, per: usize) -> Vec<PathBuf> {
    fs::create_dir_all(env.p("keys")).unwrap();
    let ring = env.ring();
    ok(&env.run(&["keys", "new", "--keyring", s(&ring)]));
    let plain = env.p("plain");
    for a in 0..archives {
        let d = plain.join(format!("archive-{a}"));
        fs::create_dir_all(&d).unwrap();
        for i in 0..per {
            fs::copy(
                radguard_testkit::sample("pydicom/MR_small.dcm"),
                d.join(format!("im{i:03}.dcm")),
            )
            .unwrap();
        }
    }
    let enc = env.p("enc");
    ok(&env.run(&["encrypt", "--keyring", s(&ring), "-o", s(&enc), s(&plain)]));
    (0..archives)
        .map(|a| enc.join(format!("archive-{a}")))
        .collect()
}

/// Every regular file under `dirs` (not following links), without the
/// temporary files a killed run leaves (the next run removes those).
fn files(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in dirs {
        for e in walkdir::WalkDir::new(d).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() && !radguard_core::fs::is_temp_name(e.file_name()) {
                v.push(e.into_path());
            }
        }
    }
    v
}

/// Names radguard must not leave behind: temporary files and lock files.
fn leftovers(dirs: &[&Path]) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in dirs {
        // A run stopped before it created its output folder left nothing.
        if !d.exists() {
            continue;
        }
        for e in walkdir::WalkDir::new(d) {
            let e = e.unwrap();
            let n = e.file_name().to_string_lossy();
            if n.starts_with(".radguard-") || n.ends_with(".lock") {
                v.push(e.into_path());
            }
        }
    }
    v
}

/// Every file opens (its data key unwraps) under a key of the keyring.
fn all_decrypt(ring: &LocalKeyring, archive_files: &[PathBuf]) {
    for f in archive_files {
        if let Err(e) = EncryptedFile::open(f, ring) {
            panic!("{} does not decrypt: {e}", f.display());
        }
    }
}

/// How long one uninterrupted run of `args` takes.
fn duration(env: &Env, args: &[&str]) -> Duration {
    let t = Instant::now();
    ok(&env.run(args));
    t.elapsed()
}

/// Starts `args`, kills it with SIGKILL after `delay`; `true` if it was
/// still running (a real kill point).
fn kill_after(env: &Env, args: &[&str], delay: Duration) -> bool {
    let mut child = env.spawn(args);
    std::thread::sleep(delay);
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    running
}

fn seed() -> u64 {
    let nanos: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        .into();
    nanos | 1
}

#[test]
fn rotate_killed_at_random_points_loses_nothing_and_leaves_nothing() {
    let env = Env::new();
    let archives = setup(&env, 4, 8);
    let ring = env.ring();
    let mut args = vec!["keys", "rotate", "--keyring", s(&ring)];
    let names: Vec<String> = archives.iter().map(|a| a.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let full = duration(&env, &args);
    let mut rng = Rng(seed());
    let mut kills = 0;
    let mut runs = 0;
    while kills < 50 {
        runs += 1;
        assert!(runs < 400, "only {kills} kills in {runs} runs");
        let delay = Duration::from_micros(
            rng.below(usize::try_from(full.as_micros()).unwrap().max(1000)) as u64,
        );
        if !kill_after(&env, &args, delay) {
            continue;
        }
        kills += 1;
        // Killed: the keyring parses and every file opens under one of
        // its keys.
        let r = LocalKeyring::open(&ring).unwrap();
        all_decrypt(&r, &files(&archives));
        drop(r);
        // The next rotation simply works and cleans up after the dead one.
        let o = env.run(&args);
        ok(&o);
        let r = LocalKeyring::open(&ring).unwrap();
        let primary = r.primary_key_id().unwrap();
        let fs_ = files(&archives);
        assert_eq!(fs_.len(), 32, "no file lost or added: {fs_:?}");
        for f in &fs_ {
            assert_eq!(encryption_info(f).unwrap().unwrap().key_id, primary);
        }
        all_decrypt(&r, &fs_);
        let mut dirs: Vec<&Path> = archives.iter().map(PathBuf::as_path).collect();
        dirs.push(ring.parent().unwrap());
        assert_eq!(
            leftovers(&dirs),
            Vec::<PathBuf>::new(),
            "after kill {kills}"
        );
    }
    eprintln!(
        "rotate: {kills} SIGKILLs at random points of a {full:?} run ({runs} runs): nothing lost, nothing left"
    );
}

/// The hexadecimal material of key `id` as stored in the keyring file.
fn material(ring: &Path, id: &str) -> String {
    let text = String::from_utf8_lossy(&fs::read(ring).unwrap()).into_owned();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("key {id} ")))
        .unwrap();
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("material="))
        .unwrap()
        .to_owned()
}

#[test]
fn destroy_killed_at_random_points_is_all_or_nothing() {
    let env = Env::new();
    let archives = setup(&env, 1, 1);
    let ring = env.ring();
    let sign = env.p("keys/sign.key");
    fs::write(&sign, "44".repeat(32)).unwrap();
    fs::set_permissions(&sign, fs::Permissions::from_mode(0o600)).unwrap();
    let mut rng = Rng(seed());
    let mut full = Duration::from_millis(200);
    let mut kills = 0;
    let mut i = 0;
    while kills < 50 {
        i += 1;
        assert!(i < 400, "only {kills} kills in {i} runs");
        // A fresh key and an archive under it.
        let o = ok(&env.run(&["--json", "keys", "new", "--primary", "--keyring", s(&ring)]));
        let id = serde_json::from_str::<serde_json::Value>(&o).unwrap()["key_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let hex = material(&ring, &id);
        let plain = env.p(&format!("p{i}"));
        fs::create_dir_all(&plain).unwrap();
        fs::copy(
            radguard_testkit::sample("pydicom/MR_small.dcm"),
            plain.join("x.dcm"),
        )
        .unwrap();
        let arch = env.p(&format!("a{i}"));
        ok(&env.run(&["encrypt", "--keyring", s(&ring), "-o", s(&arch), s(&plain)]));
        let cert = env.p(&format!("keys/cert-{i}.json"));
        let args = [
            "keys",
            "destroy",
            "--keyring",
            s(&ring),
            "--id",
            &id,
            "--yes",
            "--sign-key",
            s(&sign),
            "--cert",
            s(&cert),
            s(&arch),
        ];
        if i == 1 {
            // Measure one whole run first.
            full = duration(&env, &args);
            continue;
        }
        let delay = Duration::from_micros(
            rng.below(usize::try_from(full.as_micros()).unwrap().max(1000)) as u64,
        );
        if !kill_after(&env, &args, delay) {
            continue;
        }
        kills += 1;
        let r = LocalKeyring::open(&ring).unwrap();
        let destroyed = r
            .keys()
            .iter()
            .any(|k| k.id.as_str() == id && k.status == KeyStatus::Destroyed);
        let under = files(std::slice::from_ref(&arch));
        let raw = fs::read(&ring).unwrap();
        if destroyed {
            // Clearly erased: no trace of the material, nothing opens.
            assert!(
                !String::from_utf8_lossy(&raw).contains(&hex),
                "kill {kills}"
            );
            for f in &under {
                assert!(matches!(
                    EncryptedFile::open(f, &r),
                    Err(radguard_crypt::Error::KeyDestroyed { .. })
                ));
            }
        } else {
            all_decrypt(&r, &under);
            all_decrypt(&r, &files(&archives));
        }
        drop(r);
        // The next operation works, and nothing of the dead run remains.
        if !destroyed {
            let o = env.run(&args);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        ok(&env.run(&["keys", "list", "--keyring", s(&ring)]));
        let dirs = [env.p("keys"), arch.clone(), archives[0].clone()];
        let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
        assert_eq!(
            leftovers(&dirs),
            Vec::<PathBuf>::new(),
            "after kill {kills}"
        );
        assert!(!String::from_utf8_lossy(&fs::read(&ring).unwrap()).contains(&hex));
    }
    // The first archive, under the first key, was never touched.
    all_decrypt(&LocalKeyring::open(&ring).unwrap(), &files(&archives));
    eprintln!(
        "destroy: {kills} SIGKILLs at random points of a {full:?} run: each left the key either intact or erased"
    );
}

#[test]
fn two_rotations_started_together_do_not_overlap() {
    let env = Env::new();
    let archives = setup(&env, 2, 6);
    let ring = env.ring();
    let run = || {
        env.cmd(&[
            "--json",
            "keys",
            "rotate",
            "--keyring",
            s(&ring),
            s(&archives[0]),
            s(&archives[1]),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let (a, b) = (run(), run());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let reports: Vec<serde_json::Value> = [&a, &b]
        .iter()
        .map(|o| serde_json::from_str(&ok(o)).unwrap())
        .collect();
    // Each rotation re-wrapped every file: the second found them under
    // the first one's key, not half-way.
    for r in &reports {
        assert_eq!(r["rewrapped"], 12, "{r}");
        assert_eq!(r["failed"].as_array().unwrap().len(), 0, "{r}");
    }
    let ring = LocalKeyring::open(&ring).unwrap();
    assert_eq!(ring.keys().len(), 3);
    let primary = ring.primary_key_id().unwrap();
    for f in files(&archives) {
        assert_eq!(encryption_info(&f).unwrap().unwrap().key_id, primary);
    }
}

#[test]
fn keyrings_of_other_users_or_with_other_links_are_refused() {
    let env = Env::new();
    fs::create_dir_all(env.p("keys")).unwrap();
    let ring = env.ring();
    ok(&env.run(&["keys", "new", "--keyring", s(&ring)]));
    // An old-style lock file left by a crash does not block anything.
    fs::write(env.p("keys/ring.lock"), b"").unwrap();
    ok(&env.run(&["keys", "new", "--keyring", s(&ring)]));
    assert!(!env.p("keys/ring.lock").exists());
    let link = env.p("keys/second-name");
    fs::hard_link(&ring, &link).unwrap();
    let o = env.run(&["keys", "list", "--keyring", s(&ring)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("hard links"));
    fs::remove_file(&link).unwrap();
    ok(&env.run(&["keys", "list", "--keyring", s(&ring)]));
    if rustix::process::geteuid().is_root() {
        std::os::unix::fs::chown(&ring, Some(4242), Some(4242)).unwrap();
        let o = env.run(&["keys", "list", "--keyring", s(&ring)]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("owned by another user"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn output_folder_that_is_the_input_is_a_usage_error_and_names_are_escaped() {
    let env = Env::new();
    fs::create_dir_all(env.p("keys")).unwrap();
    let ring = env.ring();
    ok(&env.run(&["keys", "new", "--keyring", s(&ring)]));
    let arch = env.p("archive");
    fs::create_dir_all(&arch).unwrap();
    let evil = arch.join("a\u{1b}[2K\u{202e}mcd.dcm");
    fs::copy(radguard_testkit::sample("pydicom/MR_small.dcm"), &evil).unwrap();
    for cmd in ["encrypt", "decrypt"] {
        let o = env.run(&[cmd, "--keyring", s(&ring), "-o", s(&arch), s(&arch)]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("is the input folder"));
    }
    let o = env.run(&[
        "encrypt",
        "--keyring",
        s(&ring),
        "-o",
        s(&env.p("enc")),
        s(&arch),
    ]);
    let text = ok(&o);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("a\\u{1b}[2K\\u{202e}mcd.dcm"), "{text}");
}

#[test]
fn sigint_and_sigterm_remove_partial_outputs_before_exiting() {
    let env = Env::new();
    let archives = setup(&env, 2, 20);
    let ring = env.ring();
    let mut rng = Rng(seed());
    let dec = |i: usize| env.p(&format!("dec-{i}"));
    let decrypt = |i: usize| {
        vec![
            "decrypt".to_owned(),
            "--keyring".to_owned(),
            ring.display().to_string(),
            "-o".to_owned(),
            dec(i).display().to_string(),
            env.p("enc").display().to_string(),
        ]
    };
    let args0 = decrypt(0);
    let full = duration(&env, &args0.iter().map(String::as_str).collect::<Vec<_>>());
    let mut interrupted = 0;
    let mut i = 0;
    while interrupted < 20 {
        i += 1;
        assert!(i < 200, "only {interrupted} interrupts in {i} runs");
        let (args, out_dirs): (Vec<String>, Vec<PathBuf>) = if i % 3 == 0 {
            let mut a = vec![
                "keys".to_owned(),
                "rotate".to_owned(),
                "--keyring".to_owned(),
            ];
            a.push(ring.display().to_string());
            a.extend(archives.iter().map(|p| p.display().to_string()));
            (a, archives.clone())
        } else {
            (decrypt(i), vec![dec(i)])
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = env.spawn(&args);
        std::thread::sleep(Duration::from_micros(
            rng.below(usize::try_from(full.as_micros()).unwrap().max(1000)) as u64,
        ));
        let sig = if i % 2 == 0 {
            rustix::process::Signal::TERM
        } else {
            rustix::process::Signal::INT
        };
        let _ = rustix::process::kill_process(rustix::process::Pid::from_child(&child), sig);
        let code = child.wait().unwrap().code();
        if code == Some(0) {
            continue;
        }
        // `None`: the signal came before the handler was installed, at
        // start-up, when nothing is being written yet.
        if code.is_some() {
            assert_eq!(code, Some(if i % 2 == 0 { 143 } else { 130 }), "run {i}");
            interrupted += 1;
        }
        let dirs: Vec<&Path> = out_dirs.iter().map(PathBuf::as_path).collect();
        let left: Vec<PathBuf> = leftovers(&dirs)
            .into_iter()
            .filter(|p| dirs.iter().any(|d| p.starts_with(d)))
            .collect();
        assert_eq!(left, Vec::<PathBuf>::new(), "run {i}: partial files left");
        all_decrypt(&LocalKeyring::open(&ring).unwrap(), &files(&archives));
    }
    eprintln!(
        "signals: {interrupted} SIGINT/SIGTERM interrupts of decrypt and rotate left no partial file"
    );
}
