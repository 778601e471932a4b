//! Helpers shared by the integration tests: unique markers, marker
//! counting, a RAM media with fault injection, and root/loop-device
//! plumbing that skips cleanly where it cannot run.

#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(clippy::unwrap_in_result, clippy::single_range_in_vec_init)]

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;

use radguard_wipe::{CacheBypass, Media};

/// A 32-byte marker unique to this test run.
pub fn marker() -> Vec<u8> {
    let mut r = [0u8; 8];
    getrandom::fill(&mut r).expect("random");
    let mut m = b"RADGUARD-MARKER-".to_vec();
    for b in r {
        m.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    assert_eq!(m.len(), 32);
    m
}

/// `len` bytes of the marker repeated.
pub fn marker_bytes(marker: &[u8], len: usize) -> Vec<u8> {
    marker.iter().copied().cycle().take(len).collect()
}

/// Counts non-overlapping occurrences of `marker` in a file or device,
/// streaming with an overlap across chunk boundaries.
pub fn count_markers(path: &Path, marker: &[u8]) -> u64 {
    let mut f = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut buf = vec![0u8; 8 << 20];
    let keep = marker.len() - 1;
    let mut carry: Vec<u8> = Vec::new();
    let mut count = 0u64;
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        let mut window = std::mem::take(&mut carry);
        window.extend_from_slice(&buf[..n]);
        let mut i = 0;
        let first = marker[0];
        while i + marker.len() <= window.len() {
            match window[i..].iter().position(|b| *b == first) {
                None => break,
                Some(p) => {
                    i += p;
                    if i + marker.len() <= window.len() && &window[i..i + marker.len()] == marker {
                        count += 1;
                        i += marker.len();
                    } else {
                        i += 1;
                    }
                }
            }
        }
        // Keep the tail that could start a marker split across chunks,
        // unless it was already consumed by a match.
        let tail_start = window.len().saturating_sub(keep).max(i.min(window.len()));
        carry = window[tail_start..].to_vec();
    }
    count
}

/// A media in memory that can fail writes or reads at chosen offsets, or
/// silently ignore writes to a chosen offset (a lying device).
pub struct FaultyMedia {
    pub data: Vec<u8>,
    pub fail_write_at: Option<u64>,
    pub fail_read_at: Option<u64>,
    pub drop_write_at: Option<u64>,
    /// Fail the n-th write call (counting from 1), whatever its offset.
    pub fail_write_number: Option<u64>,
    pub writes: u64,
}

impl FaultyMedia {
    pub fn new(len: usize, fill: u8) -> Self {
        Self {
            data: vec![fill; len],
            fail_write_at: None,
            fail_read_at: None,
            drop_write_at: None,
            fail_write_number: None,
            writes: 0,
        }
    }
}

fn hits(at: Option<u64>, offset: u64, len: usize) -> Option<u64> {
    at.filter(|a| (offset..offset + len as u64).contains(a))
}

impl Media for FaultyMedia {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn alignment(&self) -> usize {
        512
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        if hits(self.fail_write_at, offset, buf.len()).is_some()
            || self.fail_write_number == Some(self.writes + 1)
        {
            return Err(io::Error::from_raw_os_error(5)); // EIO
        }
        let o = usize::try_from(offset).expect("offset");
        self.data[o..o + buf.len()].copy_from_slice(buf);
        if let Some(d) = hits(self.drop_write_at, offset, buf.len()) {
            // The device "forgets" one byte: the old value stays.
            let i = usize::try_from(d).expect("offset");
            self.data[i] = self.data[i].wrapping_add(0x5a);
        }
        self.writes += 1;
        Ok(())
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if hits(self.fail_read_at, offset, buf.len()).is_some() {
            return Err(io::Error::from_raw_os_error(5));
        }
        let o = usize::try_from(offset).expect("offset");
        buf.copy_from_slice(&self.data[o..o + buf.len()]);
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn prepare_read_back(&mut self) -> io::Result<CacheBypass> {
        Ok(CacheBypass::NotApplicable)
    }
    fn regions(&self) -> Vec<Range<u64>> {
        vec![0..self.size()]
    }
}

/// Why root-only tests cannot run here, if they cannot.
pub fn root_skip_reason(tools: &[&str]) -> Option<String> {
    if !rustix::process::geteuid().is_root() {
        return Some("not running as root (loop devices and mounts need root)".to_owned());
    }
    for t in tools {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {t}"))
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("`{t}` is not installed"));
        }
    }
    if !Path::new("/dev/loop-control").exists() {
        return Some("no /dev/loop-control (loop devices unavailable)".to_owned());
    }
    None
}

pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A loop device over an image file; detached on drop.
pub struct Loop {
    pub dev: PathBuf,
    pub image: PathBuf,
}

impl Loop {
    /// Attaches `image`, or returns why it cannot (tests then skip).
    pub fn attach(image: &Path) -> Result<Self, String> {
        let out = Command::new("losetup")
            .args(["-f", "--show"])
            .arg(image)
            .output()
            .map_err(|e| format!("losetup: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "losetup failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self {
            dev: PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()),
            image: image.to_path_buf(),
        })
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
    }
}

/// A mounted filesystem; unmounted on drop (if still mounted).
pub struct Mounted {
    pub dir: PathBuf,
    mounted: bool,
}

impl Mounted {
    pub fn mount(dev: &Path, dir: &Path, opts: Option<&str>) -> Self {
        std::fs::create_dir_all(dir).expect("mkdir");
        let mut c = Command::new("mount");
        if let Some(o) = opts {
            c.args(["-o", o]);
        }
        let st = c.arg(dev).arg(dir).status().expect("mount");
        assert!(st.success(), "mount {} failed", dev.display());
        Self {
            dir: dir.to_path_buf(),
            mounted: true,
        }
    }

    pub fn unmount(&mut self) {
        if self.mounted {
            run("umount", &[self.dir.to_str().expect("utf-8")]);
            self.mounted = false;
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if self.mounted {
            // A process forked by a parallel test may hold a descriptor for
            // a moment (between fork and exec): retry, then detach lazily.
            for _ in 0..20 {
                if Command::new("umount")
                    .arg(&self.dir)
                    .status()
                    .is_ok_and(|s| s.success())
                {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// Writes `len` bytes of marker to `path` and syncs it.
pub fn write_marker_file(path: &Path, marker: &[u8], len: usize) {
    use std::io::Write;
    let mut f = File::create(path).expect("create");
    f.write_all(&marker_bytes(marker, len)).expect("write");
    f.sync_all().expect("sync");
}

/// A sparse image file of `mib` MiB.
pub fn image(dir: &Path, name: &str, mib: u64) -> PathBuf {
    let p = dir.join(name);
    let f = File::create(&p).expect("image");
    f.set_len(mib << 20).expect("size");
    p
}
