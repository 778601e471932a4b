//! A Linux block device: its safety rules, and the wipe.

use std::fs::File;
use std::io;
use std::path::Path;

use rustix::fs::{FileType, Mode, OFlags};

use super::{PlanItem, Run, Wiper};
use crate::engine::{self, End, Observer};
use crate::error::Error;
use crate::fdmedia::FdMedia;
use crate::method::Method;
use crate::probe::{self, OpenFiles};

impl Wiper {
    pub(super) fn plan_block(
        &self,
        item: &mut PlanItem,
        rdev: u64,
        open: &OpenFiles,
        node_dev: u64,
        node_ino: u64,
    ) {
        let dev = probe::split_dev(rdev);
        let force = self.options.force;
        probe::block_info(dev, &mut item.media);
        match File::open(&item.path).and_then(|f| {
            rustix::fs::seek(&f, rustix::fs::SeekFrom::End(0)).map_err(io::Error::from)
        }) {
            Ok(size) => {
                item.bytes = size;
                item.pass_bytes = size;
                item.media.size_bytes = Some(size);
            }
            Err(e) => item
                .refusals
                .push(format!("cannot open to read its size: {e}")),
        }
        item.blockers.extend(probe::snapshot_reasons(dev));
        let uses = probe::mounted_uses(dev);
        if !uses.is_empty() {
            item.overridable(
                force,
                format!("the device is in use: {}", uses.join(", ")),
                true,
            );
        }
        if probe::holds_root(dev) {
            item.overridable(
                force,
                "the device is, or is on the disk that holds, the root filesystem `/`".to_owned(),
                true,
            );
        }
        if open.contains(&(node_dev, node_ino)) || open.holds_any(&probe::device_set(dev)) {
            item.overridable(
                force,
                "another process has the device open (under this or another device node)"
                    .to_owned(),
                true,
            );
        }
        if let Some(b) = item.media.backing_file.clone() {
            // The level a loop device reaches is bounded by where its
            // backing file lives.
            let bp = Path::new(b.trim_end_matches(" (deleted)"));
            if let Ok(f) = File::open(bp) {
                let fs = probe::fs_info(&f, bp);
                item.notes.push(format!(
                    "loop device backed by {b} on {}: earlier copies of that file are not covered",
                    fs.name
                ));
                item.backing_fs = Some((fs.name, fs.super_options));
            }
        }
        if item.media.secure_discard.is_none() {
            item.media.secure_discard = Some("not probed (dry run)".to_owned());
        }
        if self.options.method == Method::Discard && item.media.discard_supported == Some(false) {
            item.refusals
                .push("the device does not support discard".to_owned());
        }
    }

    pub(super) fn run_block(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
    ) -> Result<Run, Error> {
        let path = &item.path;
        // What the plan saw may have changed: anything stacked on the
        // device or holding it open now stops the wipe too (a loop device
        // on top does not make the exclusive open below fail).
        if !self.options.force {
            let dev = probe::split_dev(item.identity.0);
            let uses = probe::mounted_uses(dev);
            if !uses.is_empty() {
                return Err(Error::refused(
                    path,
                    format!("the device is in use: {}", uses.join(", ")),
                ));
            }
            if probe::open_files().holds_any(&probe::device_set(dev)) {
                return Err(Error::refused(
                    path,
                    "another process has the device open (under this or another device node)",
                ));
            }
        }
        let base = OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::DIRECT;
        let fd = match rustix::fs::open(path, base | OFlags::EXCL, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::BUSY) if self.options.force => {
                rustix::fs::open(path, base, Mode::empty())
                    .map_err(|e| Error::io(path, e.into()))?
            }
            Err(rustix::io::Errno::BUSY) => {
                return Err(Error::refused(
                    path,
                    "the device is busy (mounted, or held by the kernel or another program)",
                ));
            }
            Err(e) => return Err(Error::io(path, e.into())),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::io(path, e.into()))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::BlockDevice
            || st.st_rdev != item.identity.0
        {
            return Err(Error::Changed(path.clone()));
        }
        let size = rustix::fs::seek(&fd, rustix::fs::SeekFrom::End(0))
            .map_err(|e| Error::io(path, e.into()))?;
        let lbs = rustix::fs::ioctl_blksszget(&fd).map_or(512, |v| v as usize);
        let file = File::from(fd);
        let mut media_info = item.media.clone();
        media_info.size_bytes = Some(size);
        // Flush first: the probe drops the device's page cache.
        file.sync_all().map_err(|e| Error::io(path, e))?;
        media_info.secure_discard = Some(match crate::sys::blk_secdiscard_probe(&file) {
            Ok(()) => "supported (BLKSECDISCARD accepted)".to_owned(),
            Err(e) if e.raw_os_error() == Some(95) => {
                "not supported (BLKSECDISCARD: operation not supported)".to_owned()
            }
            Err(e) => format!("unknown (BLKSECDISCARD probe: {e})"),
        });
        let mut media = FdMedia::block(file, size, lbs);
        let passes = self.options.method.passes();
        let outcome = engine::run(&mut media, &passes, self.options.verify, index, observer);
        let mut run = Run::new(outcome);
        if run.outcome.end == End::Completed {
            run.post.push("device cache flushed (fsync)".to_owned());
        }
        if size % lbs as u64 != 0 {
            run.notes.push(format!(
                "the last {} bytes do not fill a logical block and were written as a partial block",
                size % lbs as u64
            ));
        }
        run.media = Some(media_info);
        Ok(run)
    }
}
