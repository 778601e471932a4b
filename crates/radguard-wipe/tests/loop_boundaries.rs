//! A wipe stays in its target and says what it could not reach, on real
//! file systems and block devices (root, loop devices): bind mounts inside
//! a folder, a loop device stacked on the target, a device held open under
//! another node, ext4 data journaling set in the superblock, inline data,
//! and the free space where small deleted files sit (the ext4 reserved
//! clusters), with the fill of a run that died found and removed.
//!
//! They skip (printing `SKIP:`) without root or the tools; CI runs them
//! with `RADGUARD_REQUIRE_LOOP_TESTS=1` (`.ci/steps.d/40-wipe.sh`).

#![allow(clippy::print_stderr, clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Loop, Mounted, image, root_skip_reason, run, write_marker_file};
use radguard_wipe::{AssuranceLevel, Options, Silent, Status, Target, TargetKind, Wiper};

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

/// A bind mount, undone on drop.
struct Bind(PathBuf);

impl Bind {
    fn new(from: &Path, to: &Path) -> Self {
        run(
            "mount",
            &["--bind", from.to_str().unwrap(), to.to_str().unwrap()],
        );
        Self(to.to_path_buf())
    }
}

impl Drop for Bind {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn bind_mounts_inside_a_folder_are_refused_and_outside_data_is_kept() {
    if skip("bind mounts", &["mount", "umount"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(outside.join("dir")).unwrap();
    std::fs::write(outside.join("dir/keep.dcm"), b"outside data").unwrap();
    std::fs::write(outside.join("file.dcm"), b"outside file").unwrap();
    let target = tmp.path().join("export");
    std::fs::create_dir_all(target.join("sub")).unwrap();
    std::fs::write(target.join("a.dcm"), b"wipe me").unwrap();
    std::fs::create_dir_all(target.join("sub/bound")).unwrap();
    std::fs::write(target.join("sub/over.dcm"), b"mount point").unwrap();
    let wiper = Wiper::new(Options::new());

    // Planned before the mounts exist, run after: every descriptor the walk
    // opens is checked, so the bind-mounted data is never written.
    let early = wiper.plan(&[Target::Path(target.clone())]);
    assert!(early.all_allowed(), "{:?}", early.items()[0].refusals);

    let _d = Bind::new(&outside.join("dir"), &target.join("sub/bound"));
    let _f = Bind::new(&outside.join("file.dcm"), &target.join("sub/over.dcm"));
    // Same file system: the old st_dev check saw nothing.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(&outside).unwrap().dev(),
        std::fs::metadata(target.join("sub/bound")).unwrap().dev()
    );

    for dry in [true, false] {
        let plan = wiper.plan(&[Target::Path(target.clone())]);
        let item = &plan.items()[0];
        assert!(
            !item.is_allowed(),
            "dry run {dry}: bind mounts must be refused"
        );
        let text = item.refusals.join("\n");
        assert!(
            text.contains("bound") && text.contains("over.dcm"),
            "{text}"
        );
        assert!(!item.force_overrides(&item.refusals[0]));
        if !dry {
            // A refused plan runs nothing.
            assert!(wiper.execute(&plan, &mut Silent).is_empty());
        }
    }
    let reports = wiper.execute(&early, &mut Silent);
    assert_eq!(reports[0].status, Status::Failed, "{:?}", reports[0]);
    assert!(
        reports[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("mount point")),
        "{:?}",
        reports[0].error
    );
    assert_eq!(
        std::fs::read(outside.join("dir/keep.dcm")).unwrap(),
        b"outside data"
    );
    assert_eq!(
        std::fs::read(outside.join("file.dcm")).unwrap(),
        b"outside file"
    );
    // A file target that is a bind mount is refused too.
    let plan = wiper.plan(&[Target::Path(target.join("sub/over.dcm"))]);
    assert!(!plan.all_allowed(), "{:?}", plan.items()[0]);
    // A target ending in `..` is refused, dry run and run alike.
    let plan = wiper.plan(&[Target::Path(target.join("sub/.."))]);
    assert!(
        plan.items()[0].refusals[0].contains(".."),
        "{:?}",
        plan.items()[0].refusals
    );
    eprintln!("bind mounts: refused in the plan, not written by a stale plan");
}

#[test]
fn a_loop_device_stacked_on_the_target_makes_it_in_use() {
    if skip(
        "stacked loop device",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path(), "lower.img", 32);
    let lower = Loop::attach(&img).unwrap();
    let wiper = Wiper::new(Options::new());
    let early = wiper.plan(&[Target::Path(lower.dev.clone())]);
    assert!(early.all_allowed(), "{:?}", early.items()[0].refusals);

    let upper = Loop::attach(&lower.dev).unwrap();
    run("mkfs.ext4", &["-q", "-F", upper.dev.to_str().unwrap()]);
    let mnt = Mounted::mount(&upper.dev, &tmp.path().join("mnt"), None);
    std::fs::write(mnt.dir.join("live.txt"), b"a live file system").unwrap();

    let plan = wiper.plan(&[Target::Path(lower.dev.clone())]);
    let item = &plan.items()[0];
    assert!(!item.is_allowed());
    let text = item.refusals.join("\n");
    assert!(
        text.contains("stacked") && text.contains("mounted on"),
        "{text}"
    );
    assert!(item.force_overrides(&item.refusals[0]));
    // A plan made before the stacking does not write either.
    let r = wiper.execute(&early, &mut Silent).remove(0);
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.bytes_written, 0);
    assert!(
        r.error.as_deref().is_some_and(|e| e.contains("in use")),
        "{:?}",
        r.error
    );
    assert_eq!(
        std::fs::read(mnt.dir.join("live.txt")).unwrap(),
        b"a live file system"
    );
    drop(mnt);
    drop(upper);
    eprintln!("block device: a mounted loop device stacked on it makes it in use");
}

#[test]
fn a_device_held_open_under_another_node_is_in_use() {
    if skip("device open under another node", &["losetup", "mknod"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path(), "held.img", 16);
    let lo = Loop::attach(&img).unwrap();
    use std::os::unix::fs::MetadataExt;
    let rdev = std::fs::metadata(&lo.dev).unwrap().rdev();
    let (major, minor) = (
        ((rdev >> 8) & 0xfff),
        ((rdev & 0xff) | ((rdev >> 12) & 0xfff00)),
    );
    let node = tmp.path().join("copy-of-the-node");
    run(
        "mknod",
        &[
            node.to_str().unwrap(),
            "b",
            &major.to_string(),
            &minor.to_string(),
        ],
    );
    let mut holder = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 3<'{}'; exec sleep 60", node.display()))
        .spawn()
        .unwrap();
    // Let the shell open the node.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let plan = Wiper::new(Options::new()).plan(&[Target::Path(lo.dev.clone())]);
    let refusals = plan.items()[0].refusals.join("\n");
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(refusals.contains("open"), "{refusals}");
    eprintln!("block device: held open through another node: refused");
}

/// A study of small marker files in `dir`.
fn small_files(dir: &Path, n: usize, tag: &str) -> Vec<Vec<u8>> {
    std::fs::create_dir_all(dir).unwrap();
    (0..n)
        .map(|i| {
            let m = format!("SMALL-SECRET-{tag}-{i:04}-").into_bytes();
            write_marker_file(&dir.join(format!("f{i:04}.txt")), &m, 3000);
            m
        })
        .collect()
}

fn image_bytes(img: &Path) -> Vec<u8> {
    std::fs::read(img).unwrap()
}

/// The numbers of the small files (`SMALL-SECRET-<tag>-NNNN-`) whose
/// content is somewhere in `raw`.
fn survivors(raw: &[u8], tag: &str) -> std::collections::BTreeSet<usize> {
    let prefix = format!("SMALL-SECRET-{tag}-").into_bytes();
    let mut found = std::collections::BTreeSet::new();
    let mut i = 0;
    while i + prefix.len() + 4 <= raw.len() {
        match raw[i..].iter().position(|b| *b == b'S') {
            None => break,
            Some(p) => {
                i += p;
                if raw[i..].starts_with(&prefix) {
                    let at = i + prefix.len();
                    if let Some(n) = raw
                        .get(at..at + 4)
                        .and_then(|d| std::str::from_utf8(d).ok())
                        .and_then(|d| d.parse().ok())
                    {
                        found.insert(n);
                    }
                }
                i += 1;
            }
        }
    }
    found
}

#[test]
fn journal_data_as_superblock_default_and_inline_data_are_not_assured() {
    if skip(
        "ext4 journal_data / inline_data",
        &["losetup", "mkfs.ext4", "tune2fs", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path(), "j.img", 64);
    run("mkfs.ext4", &["-q", "-F", img.to_str().unwrap()]);
    run("tune2fs", &["-o", "journal_data", img.to_str().unwrap()]);
    let lo = Loop::attach(&img).unwrap();
    let mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mounts.contains("data=journal"),
        "the mount table does not show the superblock default"
    );
    small_files(&mnt.dir.join("study"), 5, "j");
    let wiper = Wiper::new(Options::new());
    for target in [
        Target::Path(mnt.dir.join("study")),
        Target::FreeSpace(mnt.dir.clone()),
    ] {
        let plan = wiper.plan(std::slice::from_ref(&target));
        let item = &plan.items()[0];
        assert_eq!(
            item.expected.level,
            AssuranceLevel::NotAssured,
            "{target:?}"
        );
        assert!(
            item.expected
                .reasons
                .iter()
                .any(|r| r.contains("journal_data")),
            "{:?}",
            item.expected.reasons
        );
    }
    let r = wiper
        .execute(
            &wiper.plan(&[Target::Path(mnt.dir.join("study"))]),
            &mut Silent,
        )
        .remove(0);
    assert_eq!(r.status, Status::Completed);
    assert_eq!(r.assurance.level, AssuranceLevel::NotAssured);
    drop(mnt);
    drop(lo);

    let img = image(tmp.path(), "inline.img", 64);
    run(
        "mkfs.ext4",
        &["-q", "-F", "-O", "inline_data", img.to_str().unwrap()],
    );
    let lo = Loop::attach(&img).unwrap();
    let mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt2"), None);
    std::fs::create_dir_all(mnt.dir.join("s")).unwrap();
    std::fs::write(mnt.dir.join("s/tiny.txt"), b"DOE^JANE 1960").unwrap();
    let plan = wiper.plan(&[
        Target::Path(mnt.dir.join("s")),
        Target::FreeSpace(mnt.dir.clone()),
    ]);
    for item in plan.items() {
        assert_eq!(item.expected.level, AssuranceLevel::NotAssured);
        assert!(
            item.expected.reasons.iter().any(|r| r.contains("inline")),
            "{:?}",
            item.expected.reasons
        );
    }
    eprintln!("ext4: journal_data superblock default and inline_data: not assured");
}

#[test]
fn free_space_wipe_reaches_small_deleted_files_and_restores_the_reserve() {
    if skip(
        "free space: small deleted files",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path(), "small.img", 128);
    run("mkfs.ext4", &["-q", "-F", img.to_str().unwrap()]);
    let lo = Loop::attach(&img).unwrap();
    let mut mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    let name = lo.dev.file_name().unwrap().to_string_lossy().into_owned();
    let reserve = PathBuf::from(format!("/sys/fs/ext4/{name}/reserved_clusters"));
    let original = std::fs::read_to_string(&reserve).unwrap();
    // Fill most of the file system, so small files land in what is left,
    // then delete everything.
    write_marker_file(&mnt.dir.join("big.bin"), b"BULK", 100 << 20);
    let markers = small_files(&mnt.dir.join("small"), 200, "fs");
    assert_eq!(markers.len(), 200);
    run("sync", &[]);
    std::fs::remove_file(mnt.dir.join("big.bin")).unwrap();
    std::fs::remove_dir_all(mnt.dir.join("small")).unwrap();
    run("sync", &[]);
    let raw = image_bytes(&img);
    let before = survivors(&raw, "fs").len();
    assert!(before > 150, "the deleted files are on the image: {before}");

    let state = tmp.path().join("state");
    let wiper = Wiper::new(Options::new().state_dir(&state));
    let plan = wiper.plan(&[Target::FreeSpace(mnt.dir.clone())]);
    assert!(plan.all_allowed(), "{:?}", plan.items()[0].refusals);
    let report = wiper.execute(&plan, &mut Silent).remove(0);
    assert_eq!(report.status, Status::Completed, "{:?}", report.error);
    assert_eq!(report.target.kind, TargetKind::FreeSpace);
    assert!(
        report
            .assurance
            .reasons
            .iter()
            .any(|r| r.contains("reserved-cluster pool"))
            || report
                .post_actions
                .iter()
                .any(|r| r.contains("reserved-cluster pool")),
        "{report:#?}"
    );
    assert!(
        report.post_actions.iter().any(|p| p.contains("restored")),
        "{:?}",
        report.post_actions
    );
    assert_eq!(std::fs::read_to_string(&reserve).unwrap(), original);
    assert_eq!(
        std::fs::read_dir(&state).unwrap().count(),
        0,
        "record removed"
    );
    mnt.unmount();
    drop(lo);
    let raw = image_bytes(&img);
    let after = survivors(&raw, "fs").len();
    eprintln!(
        "free space (ext4, root): {before} of 200 deleted small files on the image before, {after} after; reserve {} restored; level {}",
        original.trim(),
        report.assurance.level
    );
    for r in &report.assurance.reasons {
        eprintln!("  - {r}");
    }
    assert!(after <= 1, "{after} of 200 deleted small files survived");
}

#[test]
fn the_fill_of_a_run_that_died_is_removed_by_the_next_plan() {
    if skip(
        "dead free-space fill",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path(), "dead.img", 64);
    run("mkfs.ext4", &["-q", "-F", img.to_str().unwrap()]);
    let lo = Loop::attach(&img).unwrap();
    let mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    std::fs::create_dir_all(mnt.dir.join("elsewhere")).unwrap();
    let name = lo.dev.file_name().unwrap().to_string_lossy().into_owned();
    let reserve = PathBuf::from(format!("/sys/fs/ext4/{name}/reserved_clusters"));
    let original: u64 = std::fs::read_to_string(&reserve)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let free_before = rustix::fs::statvfs(&mnt.dir).unwrap().f_bfree;

    // What a run killed with SIGKILL leaves: its fill folder, recorded in
    // the state folder, and the reserve lowered. Interrupt a real run
    // through the observer, then drop the lock by... simply recreating the
    // leftovers the way the run writes them.
    let fill = mnt.dir.join("elsewhere/.radguard-wipe-deadbeef0000");
    std::fs::create_dir_all(&fill).unwrap();
    write_marker_file(&fill.join("fill-000000"), &[0], 20 << 20);
    std::fs::write(fill.join("owner.lock"), b"").unwrap();
    let rec = format!(
        r#"{{"fill_folder":"{}","fs_dev":"{}","reserve":{{"sysfs":"{}","original":{original}}},"pid":1,"started":"2026-01-01T00:00:00Z"}}"#,
        fill.display(),
        {
            use std::os::unix::fs::MetadataExt;
            let d = std::fs::metadata(&mnt.dir).unwrap().dev();
            format!(
                "{}:{}",
                (d >> 8) & 0xfff,
                (d & 0xff) | ((d >> 12) & 0xfff00)
            )
        },
        reserve.display()
    );
    std::fs::write(fill.join("record.json"), &rec).unwrap();
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("free-space-dead.json"), &rec).unwrap();
    std::fs::write(&reserve, "0").unwrap();

    // The dry run of another folder on the same file system finds it.
    let wiper = Wiper::new(Options::new().state_dir(&state));
    let plan = wiper.plan(&[Target::FreeSpace(mnt.dir.clone())]);
    let item = &plan.items()[0];
    let said = item.warnings.join("\n");
    assert!(said.contains("died") && said.contains("restored"), "{said}");
    assert!(!fill.exists());
    assert_eq!(
        std::fs::read_to_string(&reserve).unwrap().trim(),
        original.to_string()
    );
    assert_eq!(std::fs::read_dir(&state).unwrap().count(), 0);
    let free_after = rustix::fs::statvfs(&mnt.dir).unwrap().f_bfree;
    assert!(
        free_after + 16 >= free_before,
        "{free_after} < {free_before}"
    );

    // A live run's fill (its lock held) is left alone.
    let live = mnt.dir.join(".radguard-wipe-live00000000");
    std::fs::create_dir_all(&live).unwrap();
    let lock = std::fs::File::create(live.join("owner.lock")).unwrap();
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    let plan = wiper.plan(&[Target::FreeSpace(mnt.dir.clone())]);
    assert!(live.exists(), "{:?}", plan.items()[0].warnings);
    drop(lock);
    let _ = wiper.plan(&[Target::FreeSpace(mnt.dir.clone())]);
    assert!(!live.exists());
    eprintln!("free space: the fill of a dead run was found, removed and the reserve restored");
}

#[test]
fn an_interrupted_free_space_wipe_restores_the_reserve_and_removes_its_fill() {
    if skip(
        "interrupted free-space wipe",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path(), "int.img", 64);
    run("mkfs.ext4", &["-q", "-F", img.to_str().unwrap()]);
    let lo = Loop::attach(&img).unwrap();
    let mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    let name = lo.dev.file_name().unwrap().to_string_lossy().into_owned();
    let reserve = PathBuf::from(format!("/sys/fs/ext4/{name}/reserved_clusters"));
    let original = std::fs::read_to_string(&reserve).unwrap();
    let state = tmp.path().join("state");
    let wiper = Wiper::new(Options::new().state_dir(&state));
    let plan = wiper.plan(&[Target::FreeSpace(mnt.dir.clone())]);
    let mut seen = 0u64;
    let mut lowered = None;
    let mut stop = |p: &radguard_wipe::Progress| {
        seen += p.delta;
        if lowered.is_none() {
            lowered = Some(std::fs::read_to_string(&reserve).unwrap());
        }
        if seen >= 8 << 20 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let r = wiper.execute(&plan, &mut stop).remove(0);
    assert_eq!(r.status, Status::Interrupted);
    assert_eq!(
        lowered.as_deref().map(str::trim),
        Some("0"),
        "lowered for the fill"
    );
    assert_eq!(std::fs::read_to_string(&reserve).unwrap(), original);
    assert!(
        r.post_actions.iter().any(|p| p.contains("restored")),
        "{:?}",
        r.post_actions
    );
    let left: Vec<_> = std::fs::read_dir(&mnt.dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "lost+found")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(std::fs::read_dir(&state).unwrap().count(), 0);
    eprintln!("free space: interrupted after 8 MiB: reserve restored, fill removed");
}

#[test]
fn free_space_with_zeros_is_filled_once_and_with_a_stream_twice() {
    if skip(
        "free-space passes",
        &["losetup", "mkfs.ext4", "mount", "umount"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path(), "passes.img", 48);
    run("mkfs.ext4", &["-q", "-F", img.to_str().unwrap()]);
    let lo = Loop::attach(&img).unwrap();
    let mnt = Mounted::mount(&lo.dev, &tmp.path().join("mnt"), None);
    for (method, writes) in [
        (radguard_wipe::Method::Clear, 1u64),
        (radguard_wipe::Method::ClearRandom, 2),
    ] {
        let wiper = Wiper::new(Options::new().method(method.clone()));
        let plan = wiper.plan(&[Target::FreeSpace(mnt.dir.clone())]);
        let r = wiper.execute(&plan, &mut Silent).remove(0);
        assert_eq!(r.status, Status::Completed, "{method}: {:?}", r.error);
        assert_eq!(r.verification_result, "passed", "{method}");
        assert_eq!(r.passes.len(), 1);
        // The claim wrote the free space once; a stream is written over it.
        let claimed = r.passes[0].bytes_planned;
        let written = r.bytes_written + if writes == 2 { claimed } else { 0 };
        assert_eq!(written, claimed * writes, "{method}");
        assert!(plan.items()[0].work_bytes <= claimed * (writes + 1) + (1 << 20));
    }
    drop(mnt);
}
