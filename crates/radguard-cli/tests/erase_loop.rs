//! Erasure that erases, on real file systems (root, loop devices):
//!
//! - after `keys destroy` and unmounting, no trace of the destroyed keys'
//!   material on the raw image (the live key's is there: the search works);
//! - `keys rotate` keeps owner, group, mode, times, xattrs and ACLs,
//!   refuses and names hard-linked files, and re-wraps symlinked ones in
//!   place;
//! - a free-space wipe killed with SIGKILL leaves its fill and a lowered
//!   reserve, which the next dry run removes and restores; SIGINT stops it
//!   cleanly;
//! - a certificate that cannot be saved is printed, exit 1; one that
//!   cannot even be opened stops the wipe before anything is written.
//!
//! They print `SKIP:` without root or the tools; CI runs them with
//! `RADGUARD_REQUIRE_LOOP_TESTS=1` (`.ci/steps.d/40-wipe.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{ok, s};
use radguard_crypt::dicom::encryption_info;

fn skip(test: &str, tools: &[&str]) -> bool {
    let mut why = None;
    if !rustix::process::geteuid().is_root() {
        why = Some("not running as root".to_owned());
    }
    for t in tools {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {t}"))
            .output()
            .is_ok_and(|o| o.status.success());
        if why.is_none() && !found {
            why = Some(format!("`{t}` is not installed"));
        }
    }
    if why.is_none() && !Path::new("/dev/loop-control").exists() {
        why = Some("no loop devices".to_owned());
    }
    let Some(why) = why else { return false };
    assert!(
        std::env::var_os("RADGUARD_REQUIRE_LOOP_TESTS").is_none(),
        "{test}: RADGUARD_REQUIRE_LOOP_TESTS is set but the test cannot run: {why}"
    );
    eprintln!("SKIP: {test}: {why}");
    true
}

fn sh(cmd: &str, args: &[&str]) -> String {
    let o = Command::new(cmd).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// An ext4 image of `mib` MiB on a loop device, mounted; all undone on drop.
struct Fs {
    img: PathBuf,
    dev: String,
    mnt: PathBuf,
    mounted: bool,
}

impl Fs {
    fn new(dir: &Path, name: &str, mib: u64) -> Self {
        let img = dir.join(format!("{name}.img"));
        fs::File::create(&img).unwrap().set_len(mib << 20).unwrap();
        sh("mkfs.ext4", &["-q", "-F", s(&img)]);
        let dev = sh("losetup", &["-f", "--show", s(&img)]);
        let mnt = dir.join(name);
        fs::create_dir_all(&mnt).unwrap();
        sh("mount", &[&dev, s(&mnt)]);
        Self {
            img,
            dev,
            mnt,
            mounted: true,
        }
    }
    fn sysfs_reserve(&self) -> PathBuf {
        let name = Path::new(&self.dev)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        PathBuf::from(format!("/sys/fs/ext4/{name}/reserved_clusters"))
    }
    fn unmount(&mut self) {
        if self.mounted {
            for _ in 0..20 {
                if Command::new("umount")
                    .arg(&self.mnt)
                    .status()
                    .is_ok_and(|s| s.success())
                {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = Command::new("losetup").args(["-d", &self.dev]).status();
            self.mounted = false;
        }
    }
}

impl Drop for Fs {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
            let _ = Command::new("losetup").args(["-d", &self.dev]).status();
        }
    }
}

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
}

/// The hexadecimal material of every live key in a keyring file.
fn materials(ring: &Path) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(&fs::read(ring).unwrap()).into_owned();
    let mut v: Vec<(String, String)> = Vec::new();
    let lines = text.lines().filter(|l| l.starts_with("key ")).map(|l| {
        let id = l.split_whitespace().nth(1).unwrap().to_owned();
        let m = l
            .split_whitespace()
            .find_map(|w| w.strip_prefix("material="))
            .unwrap()
            .to_owned();
        (id, m)
    });
    // Each key is in both slots: keep the first of each.
    for k in lines {
        if !v.contains(&k) {
            v.push(k);
        }
    }
    v
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// `true` if `needle` occurs anywhere in the file.
fn occurs(path: &Path, needle: &[u8]) -> bool {
    let data = fs::read(path).unwrap();
    let mut i = 0;
    while let Some(p) = data[i..].iter().position(|b| *b == needle[0]) {
        i += p;
        if data[i..].starts_with(needle) {
            return true;
        }
        i += 1;
    }
    false
}

#[test]
fn destroyed_keys_leave_no_trace_on_the_raw_image() {
    if skip(
        "keyring raw image",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let env = Env::new();
    let mut f = Fs::new(env.dir.path(), "keys", 32);
    let keys = f.mnt.join("keys");
    fs::create_dir_all(&keys).unwrap();
    fs::set_permissions(&keys, fs::Permissions::from_mode(0o700)).unwrap();
    let ring = keys.join("ring");
    let plain = env.p("plain");
    fs::create_dir_all(&plain).unwrap();
    for i in 0..3 {
        fs::copy(
            radguard_testkit::sample("pydicom/MR_small.dcm"),
            plain.join(format!("im{i}.dcm")),
        )
        .unwrap();
    }
    let arch = f.mnt.join("archive");
    ok(&env.run(&["keys", "new", "--keyring", s(&ring)]));
    ok(&env.run(&["encrypt", "--keyring", s(&ring), "-o", s(&arch), s(&plain)]));
    // Several saves: two rotations, a few extra keys.
    ok(&env.run(&["keys", "rotate", "--keyring", s(&ring), s(&arch)]));
    for _ in 0..3 {
        ok(&env.run(&["keys", "new", "--keyring", s(&ring)]));
    }
    ok(&env.run(&["keys", "rotate", "--keyring", s(&ring), s(&arch)]));
    let all = materials(&ring);
    assert_eq!(all.len(), 6);
    let live = all.last().unwrap().clone();
    sh("sync", &[]);
    // Destroy every key but the primary, the archive's old keys included.
    for (i, (id, _)) in all[..all.len() - 1].iter().enumerate() {
        let cert = env.p(&format!("erase-{i}.json"));
        let o = env.run(&[
            "--json",
            "keys",
            "destroy",
            "--keyring",
            s(&ring),
            "--id",
            id,
            "--yes",
            "--cert",
            s(&cert),
            s(&arch),
        ]);
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["destroyed"], true, "{r}");
        assert_eq!(r["erased"], true, "{r}");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for file in fs::read_dir(&arch).unwrap() {
        let info = encryption_info(file.unwrap().path()).unwrap().unwrap();
        assert_eq!(info.key_id.as_str(), live.0);
    }
    f.unmount();
    let mut gone = 0;
    for (id, hex) in &all[..all.len() - 1] {
        for needle in [
            hex.as_bytes().to_vec(),
            hex.to_uppercase().into_bytes(),
            unhex(hex),
        ] {
            assert!(!occurs(&f.img, &needle), "key {id} is still on the image");
        }
        gone += 1;
    }
    assert!(
        occurs(&f.img, live.1.as_bytes()),
        "the live key is found: the search works"
    );
    eprintln!(
        "keyring on ext4: {gone} destroyed keys (after {} saves), 0 traces on the raw image; the live key found",
        all.len() + 6
    );
}

#[test]
fn rotation_keeps_the_archive_as_it_was() {
    if skip("rotation metadata", &[]) {
        return;
    }
    let env = Env::new();
    let ring = env.p("keys/ring");
    fs::create_dir_all(env.p("keys")).unwrap();
    ok(&env.run(&["keys", "new", "--keyring", s(&ring)]));
    let plain = env.p("plain");
    fs::create_dir_all(&plain).unwrap();
    for n in ["kept.dcm", "linked.dcm", "target.dcm"] {
        fs::copy(
            radguard_testkit::sample("pydicom/MR_small.dcm"),
            plain.join(n),
        )
        .unwrap();
    }
    let enc = env.p("enc");
    ok(&env.run(&["encrypt", "--keyring", s(&ring), "-o", s(&enc), s(&plain)]));
    let arch = env.p("archive");
    let outside = env.p("outside");
    fs::create_dir_all(&arch).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::rename(enc.join("kept.dcm"), arch.join("kept.dcm")).unwrap();
    fs::rename(enc.join("linked.dcm"), arch.join("linked.dcm")).unwrap();
    fs::hard_link(arch.join("linked.dcm"), arch.join("second-name.dcm")).unwrap();
    fs::rename(enc.join("target.dcm"), outside.join("target.dcm")).unwrap();
    std::os::unix::fs::symlink("../outside/target.dcm", arch.join("via-link.dcm")).unwrap();

    // A PACS service account's file: owner, group, mode, times, an xattr
    // and an ACL (a named user may read).
    let kept = arch.join("kept.dcm");
    std::os::unix::fs::chown(&kept, Some(1234), Some(5678)).unwrap();
    fs::set_permissions(&kept, fs::Permissions::from_mode(0o640)).unwrap();
    let past = std::time::UNIX_EPOCH + Duration::new(1_500_000_000, 250_000_000);
    let file = fs::File::options().write(true).open(&kept).unwrap();
    file.set_times(fs::FileTimes::new().set_modified(past).set_accessed(past))
        .unwrap();
    rustix::fs::fsetxattr(
        &file,
        "user.pacs.study",
        b"1.2.3",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    // system.posix_acl_access: version 2, then (tag, perm, id) entries.
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (1u16, 6u16, u32::MAX),
        (2, 4, 999),
        (4, 4, u32::MAX),
        (0x10, 4, u32::MAX),
        (0x20, 0, u32::MAX),
    ] {
        acl.extend_from_slice(&tag.to_le_bytes());
        acl.extend_from_slice(&perm.to_le_bytes());
        acl.extend_from_slice(&id.to_le_bytes());
    }
    let with_acl = rustix::fs::fsetxattr(
        &file,
        "system.posix_acl_access",
        &acl,
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok();
    drop(file);
    let before = fs::metadata(&kept).unwrap();
    let acl_before = xattr(&kept, "system.posix_acl_access");
    let old_key = encryption_info(&kept).unwrap().unwrap().key_id;

    let o = env.run(&["--json", "keys", "rotate", "--keyring", s(&ring), s(&arch)]);
    assert_eq!(o.status.code(), Some(1), "the hard-linked file is refused");
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let failed = r["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{r}");
    assert_eq!(failed[0]["reason"], "hard_links");
    assert!(
        failed[0]["file"].as_str().unwrap().contains("linked.dcm")
            || failed[0]["file"]
                .as_str()
                .unwrap()
                .contains("second-name.dcm")
    );
    assert_eq!(r["via_symlinks"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["rewrapped"], 2, "{r}");

    let after = fs::metadata(&kept).unwrap();
    assert_ne!(encryption_info(&kept).unwrap().unwrap().key_id, old_key);
    assert_ne!(
        after.ino(),
        before.ino(),
        "a new file replaced it atomically"
    );
    assert_eq!((after.uid(), after.gid()), (1234, 5678));
    assert_eq!(after.mode(), before.mode());
    assert_eq!(after.modified().unwrap(), past);
    assert_eq!(
        xattr(&kept, "user.pacs.study").as_deref(),
        Some(&b"1.2.3"[..])
    );
    if with_acl {
        assert_eq!(xattr(&kept, "system.posix_acl_access"), acl_before);
    }
    // The hard-linked file is not split: both names, one old inode.
    let a = fs::metadata(arch.join("linked.dcm")).unwrap();
    let b = fs::metadata(arch.join("second-name.dcm")).unwrap();
    assert_eq!(a.ino(), b.ino());
    assert_eq!(
        encryption_info(arch.join("linked.dcm"))
            .unwrap()
            .unwrap()
            .key_id,
        old_key
    );
    // The symlinked instance was re-wrapped where it lives; the link stays.
    assert!(
        fs::symlink_metadata(arch.join("via-link.dcm"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_ne!(
        encryption_info(outside.join("target.dcm"))
            .unwrap()
            .unwrap()
            .key_id,
        old_key
    );
    eprintln!(
        "rotate: owner, group, mode, mtime, xattr{} kept; hard link refused; symlinked instance re-wrapped",
        if with_acl { ", ACL" } else { "" }
    );
}

fn xattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    let f = fs::File::open(p).unwrap();
    let mut v = vec![0u8; 4096];
    let n = rustix::fs::fgetxattr(&f, name, &mut v[..]).ok()?;
    v.truncate(n);
    Some(v)
}

fn used_fraction(dir: &Path) -> f64 {
    let v = rustix::fs::statvfs(dir).unwrap();
    1.0 - v.f_bfree as f64 / v.f_blocks as f64
}

#[test]
fn a_killed_free_space_wipe_is_cleaned_up_by_the_next_run() {
    if skip(
        "killed free-space wipe",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let env = Env::new();
    let f = Fs::new(env.dir.path(), "free", 256);
    let reserve = fs::read_to_string(f.sysfs_reserve()).unwrap();
    let free_before = rustix::fs::statvfs(&f.mnt).unwrap().f_bfree;
    let mut child = env
        .cmd(&[
            "wipe",
            "--free-space",
            "--cert",
            s(&env.p("c1.json")),
            s(&f.mnt),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while used_fraction(&f.mnt) < 0.4 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the fill did not start"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the wipe ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // What SIGKILL leaves: the fill, and the reserve lowered.
    let fills: Vec<_> = fs::read_dir(&f.mnt)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".radguard-wipe-")
        })
        .collect();
    assert_eq!(fills.len(), 1);
    assert_eq!(fs::read_to_string(f.sysfs_reserve()).unwrap().trim(), "0");
    // The next dry run, of another folder on the same file system, finds
    // it, removes it and says so.
    let other = f.mnt.join("sub");
    fs::create_dir_all(&other).unwrap();
    let out = ok(&env.run(&["wipe", "--free-space", "--dry-run", s(&other)]));
    assert!(out.contains("died") && out.contains("removed"), "{out}");
    assert!(!fills[0].path().exists());
    assert_eq!(fs::read_to_string(f.sysfs_reserve()).unwrap(), reserve);
    let free_after = rustix::fs::statvfs(&f.mnt).unwrap().f_bfree;
    assert!(
        free_after + 64 >= free_before,
        "{free_after} < {free_before}"
    );
    assert_eq!(fs::read_dir(env.p("state/radguard")).unwrap().count(), 0);

    // SIGINT stops cleanly: certificate "incomplete", nothing left.
    let mut child = env
        .cmd(&[
            "wipe",
            "--free-space",
            "--cert",
            s(&env.p("c2.json")),
            s(&f.mnt),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while used_fraction(&f.mnt) < 0.4 {
        std::thread::sleep(Duration::from_millis(5));
    }
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(1));
    let cert = fs::read_to_string(env.p("c2.json")).unwrap();
    assert!(cert.contains("\"incomplete\""), "{cert}");
    assert_eq!(fs::read_to_string(f.sysfs_reserve()).unwrap(), reserve);
    let left: Vec<_> = fs::read_dir(&f.mnt)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "lost+found" && n != "sub")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    eprintln!(
        "free space: SIGKILL's fill removed and reserve restored by the next dry run; SIGINT stopped cleanly"
    );
}

#[test]
fn a_certificate_that_cannot_be_saved_is_printed_and_one_that_cannot_be_opened_stops_the_wipe() {
    if skip(
        "certificate failures",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let env = Env::new();
    let f = Fs::new(env.dir.path(), "full", 8);
    // Fill it completely (as root, the root reserve too).
    let mut fill = fs::File::create(f.mnt.join("fill")).unwrap();
    let chunk = vec![7u8; 1 << 16];
    while std::io::Write::write_all(&mut fill, &chunk).is_ok() {}
    let _ = fill.sync_all();
    let mut small = vec![1u8; 1];
    while std::io::Write::write_all(&mut fill, &small).is_ok() {}
    small.clear();
    let _ = fill.sync_all();
    let target = env.p("x.dcm");
    fs::write(&target, vec![5u8; 10_000]).unwrap();
    let o = env.run(&["wipe", "--cert", s(&f.mnt.join("cert.json")), s(&target)]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!target.exists(), "the wipe ran");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("\"signature\"") && out.contains("\"certificate\""),
        "{out}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("could not be written"));
    // The printed certificate verifies.
    let start = out.find('{').unwrap();
    let end = out.rfind('}').unwrap();
    let saved = env.p("saved.json");
    fs::write(&saved, &out[start..=end]).unwrap();
    ok(&env.run(&["cert", "verify", s(&saved)]));

    // A certificate folder that cannot take a file: nothing is wiped.
    let ro = env.p("ro");
    fs::create_dir_all(&ro).unwrap();
    sh(
        "mount",
        &["-t", "tmpfs", "-o", "ro,size=1m", "none", s(&ro)],
    );
    let target = env.p("y.dcm");
    fs::write(&target, vec![5u8; 10_000]).unwrap();
    let o = env.run(&["wipe", "--cert", s(&ro.join("cert.json")), s(&target)]);
    let _ = Command::new("umount").arg(&ro).status();
    assert_eq!(o.status.code(), Some(2));
    assert!(target.exists(), "nothing wiped");
    eprintln!("certificates: unsaveable -> printed, exit 1; unopenable -> nothing wiped, exit 2");
}
