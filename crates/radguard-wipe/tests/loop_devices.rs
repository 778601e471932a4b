//! Marker tests on real filesystems and block devices inside loop devices.
//!
//! Each test writes files (or a device) full of a unique marker, wipes,
//! unmounts, and scans the whole backing image for the marker. They need
//! root, `losetup`, `mkfs.ext4` (and `mkfs.btrfs` for the btrfs test); where
//! those are missing they print `SKIP: <reason>` and pass. CI runs them as
//! root with btrfs-progs installed (`.ci/steps.d/40-wipe.sh`), with
//! `RADGUARD_REQUIRE_LOOP_TESTS=1`, which turns every skip into a failure.

#![allow(clippy::print_stderr)] // SKIP lines and marker counts are the point

mod common;

use std::path::Path;

use common::{
    Loop, Mounted, count_markers, image, marker, marker_bytes, root_skip_reason, run,
    write_marker_file,
};
use radguard_core::SecretKey;
use radguard_wipe::{
    AssuranceLevel, Certificate, Method, Operator, Options, Outcome, SignedCertificate, SigningKey,
    Silent, Status, Target, TargetKind, TargetReport, Verify, Wiper,
};

/// Returns `true` (after printing why) when the test must skip.
fn skip(test: &str, tools: &[&str]) -> bool {
    let Some(reason) = root_skip_reason(tools) else {
        return false;
    };
    assert!(
        std::env::var_os("RADGUARD_REQUIRE_LOOP_TESTS").is_none(),
        "{test}: RADGUARD_REQUIRE_LOOP_TESTS is set but the test cannot run: {reason}"
    );
    eprintln!("SKIP: {test}: {reason}");
    true
}

/// Signs the reports and checks that the certificate verifies.
fn certify(reports: Vec<TargetReport>) -> Certificate {
    let key = SigningKey::from_secret(&SecretKey::from_bytes([0x33; 32]));
    let now = Certificate::now();
    let cert = Certificate::new(
        reports,
        Operator::named("loop test"),
        "test-host",
        now.clone(),
        now,
        &key.public_key(),
    )
    .expect("certificate");
    let json = cert.clone().sign(&key).expect("sign").to_json();
    let parsed = SignedCertificate::from_json(json.as_bytes()).expect("parse");
    parsed
        .verify(Some(&key.public_key()))
        .expect("certificate verifies");
    cert
}

/// Fills a study folder with marker files of several sizes.
fn write_study(root: &Path, marker: &[u8]) -> usize {
    let study = root.join("study");
    std::fs::create_dir_all(study.join("series-1")).expect("mkdir");
    std::fs::create_dir_all(study.join("series-2")).expect("mkdir");
    let files: [(&str, usize); 5] = [
        ("series-1/IM0001.dcm", 2 << 20),
        ("series-1/IM0002.dcm", 2 << 20),
        ("series-2/IM0001.dcm", 1 << 20),
        ("series-2/small.dcm", 5000),
        ("report.txt", 70_000),
    ];
    for (name, len) in files {
        write_marker_file(&study.join(name), marker, len);
    }
    files.iter().map(|(_, l)| l / marker.len()).sum()
}

fn wipe_folder(folder: &Path) -> TargetReport {
    let wiper = Wiper::new(Options::new().method(Method::Clear).verify(Verify::Last));
    let plan = wiper.plan(&[Target::Path(folder.to_path_buf())]);
    let item = &plan.items()[0];
    assert!(item.is_allowed(), "refused: {:?}", item.refusals);
    assert_eq!(item.kind, Some(TargetKind::Folder));
    assert_eq!(item.files.len(), 5);
    let mut reports = wiper.execute(&plan, &mut Silent);
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

#[test]
fn ext4_default_mode_leaves_zero_markers() {
    if skip(
        "ext4 marker test",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let img = image(tmp.path(), "ext4.img", 64);
    run("mkfs.ext4", &["-q", "-F", img.to_str().expect("utf-8")]);
    let lo = match Loop::attach(&img) {
        Ok(l) => l,
        Err(e) => {
            assert!(
                std::env::var_os("RADGUARD_REQUIRE_LOOP_TESTS").is_none(),
                "{e}"
            );
            eprintln!("SKIP: ext4 marker test: {e}");
            return;
        }
    };
    let mut mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    let m = marker();
    let expected = write_study(&mnt.dir, &m);
    run("sync", &[]);
    let before = count_markers(&img, &m);
    assert!(
        before >= expected as u64,
        "the image must hold the markers before the wipe: {before} < {expected}"
    );

    let report = wipe_folder(&mnt.dir.join("study"));
    assert_eq!(report.status, Status::Completed, "{:?}", report.error);
    assert_eq!(report.verification_result, "passed");
    assert_eq!(report.media.filesystem.as_deref(), Some("ext4"));
    assert_eq!(
        report.assurance.level,
        AssuranceLevel::ClearLogical,
        "{:?}",
        report.assurance.reasons
    );
    assert_eq!(report.target.files, 5);
    assert!(!mnt.dir.join("study").exists(), "the folder is removed");

    mnt.unmount();
    drop(lo);
    let after = count_markers(&img, &m);
    eprintln!("ext4 (data=ordered): {before} markers before the wipe, {after} after");
    assert_eq!(after, 0, "markers survived the wipe on ext4");
    let cert = certify(vec![report]);
    assert_eq!(cert.outcome, Outcome::Completed);
    assert_eq!(cert.assurance_level, AssuranceLevel::ClearLogical);
}

#[test]
fn ext4_data_journal_is_reported_not_assured() {
    if skip(
        "ext4 data=journal marker test",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let img = image(tmp.path(), "ext4j.img", 64);
    run("mkfs.ext4", &["-q", "-F", img.to_str().expect("utf-8")]);
    let lo = Loop::attach(&img).expect("losetup");
    let mut mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), Some("data=journal"));
    let m = marker();
    write_study(&mnt.dir, &m);
    run("sync", &[]);
    let report = wipe_folder(&mnt.dir.join("study"));
    assert_eq!(report.status, Status::Completed, "{:?}", report.error);
    assert_eq!(report.assurance.level, AssuranceLevel::NotAssured);
    assert!(
        report
            .assurance
            .reasons
            .iter()
            .any(|r| r.contains("data=journal")),
        "{:?}",
        report.assurance.reasons
    );
    mnt.unmount();
    drop(lo);
    let after = count_markers(&img, &m);
    eprintln!(
        "ext4 data=journal: {after} markers remain in journal copies after the wipe (0 when the overwrite itself recycled the whole journal); the tool said \"not assured\""
    );
}

#[test]
fn btrfs_is_reported_not_assured_and_markers_survive() {
    if skip(
        "btrfs marker test",
        &["losetup", "mkfs.btrfs", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let img = image(tmp.path(), "btrfs.img", 128);
    run(
        "mkfs.btrfs",
        &["-q", "-f", "-m", "single", img.to_str().expect("utf-8")],
    );
    let lo = Loop::attach(&img).expect("losetup");
    let mut mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    let m = marker();
    let expected = write_study(&mnt.dir, &m);
    run("sync", &[]);
    let before = count_markers(&img, &m);
    assert!(before >= expected as u64, "{before} < {expected}");

    let report = wipe_folder(&mnt.dir.join("study"));
    assert_eq!(report.status, Status::Completed, "{:?}", report.error);
    assert_eq!(report.media.filesystem.as_deref(), Some("btrfs"));
    assert_eq!(report.assurance.level, AssuranceLevel::NotAssured);
    assert!(
        report
            .assurance
            .reasons
            .iter()
            .any(|r| r.contains("copy-on-write")),
        "{:?}",
        report.assurance.reasons
    );
    assert!(
        report
            .assurance
            .recommendations
            .iter()
            .any(|r| r.contains("crypto-erase"))
    );

    mnt.unmount();
    drop(lo);
    let after = count_markers(&img, &m);
    // Why "not assured": the overwrite went to new blocks, and the old
    // blocks still hold the data.
    eprintln!(
        "btrfs: {before} markers before the wipe, {after} after ({}% survived): the tool said \"not assured\"",
        after * 100 / before.max(1)
    );
    assert!(
        after > 0,
        "on btrfs the old blocks are expected to keep markers; 0 found"
    );
    let cert = certify(vec![report]);
    assert_eq!(cert.assurance_level, AssuranceLevel::NotAssured);
}

fn fill_device(dev: &Path, m: &[u8], len: usize) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(dev)
        .expect("open device");
    f.write_all(&marker_bytes(m, len)).expect("fill");
    f.sync_all().expect("sync");
}

fn wipe_device(dev: &Path, method: Method, verify: Verify) -> TargetReport {
    let wiper = Wiper::new(Options::new().method(method).verify(verify));
    let plan = wiper.plan(&[Target::Path(dev.to_path_buf())]);
    let item = &plan.items()[0];
    assert!(item.is_allowed(), "refused: {:?}", item.refusals);
    assert_eq!(item.kind, Some(TargetKind::BlockDevice));
    let mut r = wiper.execute(&plan, &mut Silent);
    r.remove(0)
}

#[test]
fn block_device_wipe_leaves_zero_markers_and_certificate_verifies() {
    if skip("block device marker test", &["losetup"]) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let size = 32usize << 20;
    let img = image(tmp.path(), "disk.img", 32);
    let lo = Loop::attach(&img).expect("losetup");
    let m = marker();
    for (method, verify) in [
        (Method::Clear, Verify::All),
        (Method::ClearRandom, Verify::Sample),
        (Method::ZeroOut, Verify::Last),
        (Method::Discard, Verify::Last),
    ] {
        fill_device(&lo.dev, &m, size);
        let before = count_markers(&lo.dev, &m);
        assert_eq!(before, (size / m.len()) as u64);
        let label = method.to_string();
        let report = wipe_device(&lo.dev, method, verify);
        assert_eq!(
            report.status,
            Status::Completed,
            "{label}: {:?}",
            report.error
        );
        assert_eq!(report.verification_result, "passed", "{label}");
        assert_eq!(report.media.size_bytes, Some(size as u64));
        assert_eq!(
            report.media.backing_file.as_deref().map(Path::new),
            Some(img.canonicalize().expect("canon").as_path()),
            "{label}"
        );
        assert!(
            report
                .media
                .secure_discard
                .as_deref()
                .is_some_and(|s| s.contains("not supported")),
            "loop devices have no BLKSECDISCARD: {:?}",
            report.media.secure_discard
        );
        assert_eq!(
            report.assurance.level,
            AssuranceLevel::ClearLogical,
            "{label}: {:?}",
            report.assurance.reasons
        );
        assert_eq!(
            count_markers(&lo.dev, &m),
            0,
            "{label}: markers on the device"
        );
        assert_eq!(count_markers(&img, &m), 0, "{label}: markers in the image");
        let cert = certify(vec![report]);
        assert_eq!(cert.outcome, Outcome::Completed);
        eprintln!("block device, {label}: {before} markers before, 0 after");
    }
}

#[test]
fn mounted_device_and_root_device_are_refused() {
    if skip(
        "mounted device refusal",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let img = image(tmp.path(), "m.img", 32);
    run("mkfs.ext4", &["-q", "-F", img.to_str().expect("utf-8")]);
    let lo = Loop::attach(&img).expect("losetup");
    let mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    let wiper = Wiper::new(Options::new());
    let plan = wiper.plan(&[Target::Path(lo.dev.clone())]);
    let item = &plan.items()[0];
    assert!(!item.is_allowed());
    assert!(
        item.refusals.iter().any(|r| r.contains("mounted on")),
        "{:?}",
        item.refusals
    );
    // Forcing is possible and recorded, and costs assurance (plan only:
    // nothing is executed here).
    let forced = Wiper::new(Options::new().force(true)).plan(&[Target::Path(lo.dev.clone())]);
    assert!(forced.items()[0].is_allowed());
    assert_eq!(forced.items()[0].expected.level, AssuranceLevel::NotAssured);
    drop(mnt);

    // The device holding `/`, when `/` is on a block device.
    let root = std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .find(|l| l.split(' ').nth(4) == Some("/"))
        .and_then(|l| l.split(" - ").nth(1))
        .and_then(|r| r.split(' ').nth(1))
        .map(str::to_owned);
    match root {
        Some(src) if Path::new(&src).exists() && src.starts_with("/dev/") => {
            let plan = wiper.plan(&[Target::Path(src.clone().into())]);
            let item = &plan.items()[0];
            assert!(!item.is_allowed(), "{src} must be refused");
            assert!(
                item.refusals.iter().any(|r| r.contains("root filesystem")),
                "{:?}",
                item.refusals
            );
        }
        other => eprintln!(
            "note: `/` is not on a plain block device ({other:?}); root-device refusal not exercised"
        ),
    }
}

#[test]
fn interrupted_block_wipe_reports_incomplete() {
    if skip("interrupted block wipe", &["losetup"]) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let img = image(tmp.path(), "i.img", 64);
    let lo = Loop::attach(&img).expect("losetup");
    let wiper = Wiper::new(Options::new().method(Method::Dod3));
    let plan = wiper.plan(&[Target::Path(lo.dev.clone()), Target::Path(lo.dev.clone())]);
    let mut seen = 0u64;
    let mut stop_after_16mib = |p: &radguard_wipe::Progress| {
        seen += p.delta;
        if seen >= 16 << 20 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let reports = wiper.execute(&plan, &mut stop_after_16mib);
    assert_eq!(reports[0].status, Status::Interrupted);
    assert_eq!(reports[0].bytes_written, 16 << 20);
    assert_eq!(reports[0].bytes_planned, 3 * (64 << 20));
    assert!(!reports[0].passes[0].completed);
    assert_eq!(reports[1].status, Status::NotStarted);
    let cert = certify(reports);
    assert_eq!(cert.outcome, Outcome::Incomplete);
    assert_eq!(cert.assurance_level, AssuranceLevel::NotAssured);
}

#[test]
fn free_space_wipe_reaches_deleted_data_and_reports_what_it_could_not_fill() {
    if skip(
        "free-space marker test",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let img = image(tmp.path(), "free.img", 64);
    run("mkfs.ext4", &["-q", "-F", img.to_str().expect("utf-8")]);
    let lo = Loop::attach(&img).expect("losetup");
    let mut mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    let m = marker();
    write_marker_file(&mnt.dir.join("deleted.dcm"), &m, 16 << 20);
    run("sync", &[]);
    std::fs::remove_file(mnt.dir.join("deleted.dcm")).expect("rm");
    run("sync", &[]);
    let before = count_markers(&img, &m);
    assert!(
        before > 0,
        "deleted data is still in the image before the wipe"
    );
    let free_before = rustix::fs::statvfs(&mnt.dir).expect("statvfs").f_bfree;

    let wiper = Wiper::new(Options::new());
    let plan = wiper.plan(&[Target::FreeSpace(mnt.dir.clone())]);
    assert!(plan.all_allowed(), "{:?}", plan.items()[0].refusals);
    assert_eq!(plan.items()[0].kind, Some(TargetKind::FreeSpace));
    let report = wiper.execute(&plan, &mut Silent).remove(0);
    assert_eq!(report.status, Status::Completed, "{:?}", report.error);
    assert_eq!(report.verification_result, "passed");
    assert!(report.bytes_written > 16 << 20);
    // The space is released again and no fill files are left behind.
    let free_after = rustix::fs::statvfs(&mnt.dir).expect("statvfs").f_bfree;
    assert!(
        free_after + 16 >= free_before,
        "{free_after} < {free_before}"
    );
    let left: Vec<_> = std::fs::read_dir(&mnt.dir)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "lost+found")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // ext4 holds back a few clusters no one can fill: the tool must say so
    // and not claim Clear.
    let unfilled = report
        .assurance
        .reasons
        .iter()
        .any(|r| r.contains("could not be filled"));
    if unfilled {
        assert_eq!(report.assurance.level, AssuranceLevel::NotAssured);
    }
    mnt.unmount();
    drop(lo);
    let after = count_markers(&img, &m);
    eprintln!(
        "free space (ext4): {before} markers of a deleted file before, {after} after; level {}",
        report.assurance.level
    );
    assert!(
        after < before / 100,
        "most deleted data must be overwritten: {after}"
    );
}
