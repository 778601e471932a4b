//! `radguard wipe` and `radguard cert` end to end: exit codes, dry runs,
//! certificates, tampering, and a clean stop on SIGINT.

mod common;

use common::ok;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn rg(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_radguard"));
    c.env("XDG_CONFIG_HOME", config)
        .env_remove("RADGUARD_WIPE_SIGN_KEY");
    c
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn p(&self, s: &str) -> PathBuf {
        self.dir.path().join(s)
    }
    fn cfg(&self) -> PathBuf {
        self.p("config")
    }
}

#[test]
fn wipe_writes_a_certificate_that_verifies_and_shows() {
    let e = Env::new();
    fs::create_dir_all(e.p("study/s1")).unwrap();
    fs::write(e.p("study/s1/a.dcm"), vec![9u8; 100_000]).unwrap();
    fs::write(e.p("study/b.dcm"), vec![9u8; 10]).unwrap();
    let cert = e.p("cert.json");
    let out = ok(&rg(&e.cfg())
        .args(["wipe", "--cert"])
        .arg(&cert)
        .args(["--operator", "Jo", "--organization", "Radiology"])
        .arg(e.p("study"))
        .output()
        .unwrap());
    assert!(out.contains("completed"), "{out}");
    assert!(!e.p("study").exists());
    // The key was created once, private, with its public half beside it.
    let key = e.cfg().join("radguard/wipe-signing.key");
    let public = e.cfg().join("radguard/wipe-signing.pub");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let v = ok(&rg(&e.cfg())
        .args(["cert", "verify"])
        .arg(&cert)
        .arg("--public-key")
        .arg(&public)
        .output()
        .unwrap());
    assert!(v.contains("valid signature by the trusted key"), "{v}");
    let s = ok(&rg(&e.cfg())
        .args(["cert", "show"])
        .arg(&cert)
        .output()
        .unwrap());
    assert!(s.contains("Certificate of Sanitization"), "{s}");
    assert!(s.contains("Jo, Radiology"), "{s}");
    assert!(s.contains("verification  last -> passed"), "{s}");
    // `cert public-key` prints the same key.
    let pk = ok(&rg(&e.cfg()).args(["cert", "public-key"]).output().unwrap());
    assert_eq!(pk.trim(), fs::read_to_string(&public).unwrap().trim());
    // JSON mode of verify.
    let j = ok(&rg(&e.cfg())
        .args(["--json", "cert", "verify"])
        .arg(&cert)
        .output()
        .unwrap());
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["outcome"], "completed");
    // A second run refuses to overwrite the certificate (nothing wiped).
    fs::write(e.p("c.dcm"), b"x").unwrap();
    let o = rg(&e.cfg())
        .args(["wipe", "--cert"])
        .arg(&cert)
        .arg(e.p("c.dcm"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(e.p("c.dcm").exists());
}

#[test]
fn tampered_certificate_and_wrong_key_fail_verification() {
    let e = Env::new();
    fs::write(e.p("a.dcm"), vec![1u8; 5000]).unwrap();
    let key = e.p("sign.key");
    fs::write(&key, "11".repeat(32)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    let cert = e.p("c.json");
    ok(&rg(&e.cfg())
        .args(["wipe", "--sign-key"])
        .arg(&key)
        .arg("--cert")
        .arg(&cert)
        .arg(e.p("a.dcm"))
        .output()
        .unwrap());
    let text = fs::read_to_string(&cert).unwrap();
    assert!(text.contains("\"status\": \"completed\""));
    let forged = text.replace("\"bytes_written\": 8192", "\"bytes_written\": 8193");
    assert_ne!(forged, text);
    fs::write(e.p("forged.json"), forged).unwrap();
    let o = rg(&e.cfg())
        .args(["cert", "verify"])
        .arg(e.p("forged.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("INVALID"));
    // `show` still renders, with a loud warning and exit 1.
    let o = rg(&e.cfg())
        .args(["cert", "show"])
        .arg(e.p("forged.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("FAILED verification"));
    // A different trusted key.
    let other = e.p("other.pub");
    fs::write(&other, format!("{}\n", "3b".repeat(32))).unwrap();
    let o = rg(&e.cfg())
        .args(["cert", "verify"])
        .arg(&cert)
        .arg("--public-key")
        .arg(&other)
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    // The signing key never appears in the certificate.
    assert!(!text.contains(&"11".repeat(32)));
}

#[test]
fn dry_run_lists_files_and_writes_nothing() {
    let e = Env::new();
    fs::create_dir_all(e.p("d/sub")).unwrap();
    fs::write(e.p("d/sub/x.dcm"), b"abc").unwrap();
    let out = ok(&rg(&e.cfg())
        .args(["wipe", "--dry-run"])
        .arg(e.p("d"))
        .output()
        .unwrap());
    assert!(out.contains("would wipe"), "{out}");
    assert!(out.contains("x.dcm"), "{out}");
    assert!(out.contains("expected assurance"), "{out}");
    assert_eq!(fs::read(e.p("d/sub/x.dcm")).unwrap(), b"abc");
    assert!(!e.cfg().exists(), "a dry run creates no key");
    // Refused targets: exit 1 in a dry run, 2 (nothing wiped) for real.
    std::os::unix::fs::symlink(e.p("d"), e.p("link")).unwrap();
    let o = rg(&e.cfg())
        .args(["wipe", "--dry-run"])
        .arg(e.p("link"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let o = rg(&e.cfg())
        .args(["wipe"])
        .arg(e.p("link"))
        .arg(e.p("d"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        e.p("d/sub/x.dcm").exists(),
        "nothing wiped when any target is refused"
    );
}

#[test]
fn sigint_stops_cleanly_with_an_incomplete_certificate() {
    let e = Env::new();
    let big = e.p("big.dcm");
    {
        let f = fs::File::create(&big).unwrap();
        // Real data (not a hole), so every pass writes it all.
        let chunk = vec![0x77u8; 1 << 20];
        use std::io::Write;
        let mut w = std::io::BufWriter::new(f);
        for _ in 0..256 {
            w.write_all(&chunk).unwrap();
        }
        w.flush().unwrap();
    }
    let cert = e.p("c.json");
    // dod7 with full verification: 7 x 256 MiB written and read, far more
    // than the time before the signal.
    let child = rg(&e.cfg())
        .args(["wipe", "--method", "dod7", "--verify", "all", "--cert"])
        .arg(&cert)
        .arg(&big)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the wipe is under way (the signing key exists before the
    // first write).
    let t = Instant::now();
    while !e.cfg().join("radguard/wipe-signing.key").exists()
        && t.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    // The shell's built-in kill: no procps needed.
    let st = Command::new("sh")
        .args(["-c", "kill -INT \"$0\"", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    // The file is still there (a re-run can finish), the certificate says
    // how far it got and still verifies.
    assert!(big.exists());
    let v = ok(&rg(&e.cfg())
        .args(["cert", "verify"])
        .arg(&cert)
        .output()
        .unwrap());
    assert!(v.contains("INCOMPLETE"), "{v}");
    let j: serde_json::Value = serde_json::from_str(&fs::read_to_string(&cert).unwrap()).unwrap();
    let item = &j["certificate"]["items"][0];
    assert_eq!(item["status"], "interrupted");
    assert_eq!(j["certificate"]["outcome"], "incomplete");
    assert_eq!(j["certificate"]["assurance_level"], "not_assured");
    let written = item["bytes_written"].as_u64().unwrap();
    let planned = item["bytes_planned"].as_u64().unwrap();
    assert_eq!(planned, 7 * (256 << 20));
    assert!(written < planned, "{written} of {planned}");
}

#[test]
fn certificate_inside_the_wiped_folder_is_refused_before_wiping() {
    let e = Env::new();
    fs::create_dir_all(e.p("d")).unwrap();
    fs::write(e.p("d/x.dcm"), b"abc").unwrap();
    let o = rg(&e.cfg())
        .args(["wipe", "--cert"])
        .arg(e.p("d/cert.json"))
        .arg(e.p("d"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside"));
    assert_eq!(fs::read(e.p("d/x.dcm")).unwrap(), b"abc");
}
