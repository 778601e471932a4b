//! Planning and running wipes of files, folders, block devices and free
//! space on Linux.
//!
//! One module per concern: [`plan`] (options, targets, the plan and how a
//! target is examined), [`file`] (one regular file), [`tree`] (a folder
//! tree), [`block`] (a block device), [`free_space`] (a filesystem's free
//! space) and [`names`] (folder descriptors, random renames). This module
//! holds the [`Wiper`] and turns what a run produced into a report.

mod block;
mod file;
mod free_space;
mod names;
mod plan;
mod tree;

use crate::assurance::assess;
use crate::engine::{Observer, Outcome, PassRecord};
use crate::error::{Error, chain_text};
use crate::probe;
use crate::report::{
    IoMode, MediaInfo, Status, TargetInfo, TargetKind, TargetReport, Technique,
    overall_verification,
};

pub use plan::{Options, Plan, PlanItem, Target};

/// Plans and runs wipes.
///
/// Planning never writes. Running re-checks every target (it must still be
/// the same file or device, not a symbolic link) before the first write.
///
/// # Examples
///
/// ```no_run
/// use radguard_wipe::{Options, Silent, Target, Wiper};
///
/// let wiper = Wiper::new(Options::new());
/// let plan = wiper.plan(&[Target::Path("old-study/".into())]);
/// for item in plan.items() {
///     assert!(item.is_allowed(), "{:?}", item.refusals);
/// }
/// let reports = wiper.execute(&plan, &mut Silent);
/// assert!(reports.iter().all(|r| r.succeeded()));
/// ```
#[derive(Clone, Debug)]
pub struct Wiper {
    options: Options,
}

fn now() -> String {
    crate::cert::rfc3339_now()
}

impl Wiper {
    /// A wiper with these options.
    #[must_use]
    pub fn new(options: Options) -> Self {
        Self { options }
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Examines every target without writing anything.
    #[must_use]
    pub fn plan(&self, targets: &[Target]) -> Plan {
        let open = probe::open_files();
        let items = targets.iter().map(|t| self.plan_one(t, &open)).collect();
        Plan { items }
    }

    /// Runs the plan: every allowed item in order; refused items are
    /// skipped and get no report. After an interrupt the remaining items
    /// are reported as [`Status::NotStarted`].
    pub fn execute(&self, plan: &Plan, observer: &mut dyn Observer) -> Vec<TargetReport> {
        let mut reports = Vec::new();
        let mut stopped = false;
        let open = probe::open_files();
        for (index, item) in plan.items.iter().enumerate() {
            if !item.is_allowed() {
                continue;
            }
            if stopped {
                reports.push(self.report(item, None, Status::NotStarted, None, now(), Vec::new()));
                continue;
            }
            let r = self.execute_one(item, index, observer, &open);
            stopped = r.status == Status::Interrupted;
            reports.push(r);
        }
        reports
    }

    fn execute_one(
        &self,
        item: &PlanItem,
        index: usize,
        observer: &mut dyn Observer,
        open: &probe::OpenFiles,
    ) -> TargetReport {
        let started = now();
        let res = match item.kind {
            Some(TargetKind::File) => self.run_file_target(item, index, observer, open),
            Some(TargetKind::Folder) => self.run_folder(item, index, observer, open),
            Some(TargetKind::BlockDevice) => self.run_block(item, index, observer),
            Some(TargetKind::FreeSpace) => self.run_free_space(item, index, observer),
            _ => Err(Error::unsupported(&item.path, "unknown target kind")),
        };
        match res {
            Ok(run) => {
                let mut item = item.clone();
                item.blockers.extend(run.blockers);
                item.notes.extend(run.notes);
                if let Some(m) = run.media {
                    item.media = m;
                }
                if let Some(b) = run.pass_bytes {
                    item.pass_bytes = b;
                    item.bytes = b;
                }
                let status = run.outcome.end.status();
                let error = run.outcome.end.error(run.error);
                let mut rep =
                    self.report(&item, Some(&run.outcome), status, error, started, run.post);
                rep.io_mode = run.io_mode;
                rep.target.files = run.files;
                rep.target.folders = run.folders;
                rep
            }
            Err(e) => self.report(
                item,
                None,
                Status::Failed,
                Some(chain_text(&e)),
                started,
                Vec::new(),
            ),
        }
    }

    fn report(
        &self,
        item: &PlanItem,
        outcome: Option<&Outcome>,
        status: Status,
        error: Option<String>,
        started: String,
        post: Vec<String>,
    ) -> TargetReport {
        let o = &self.options;
        let passes: Vec<PassRecord> = outcome.map(|x| x.passes.clone()).unwrap_or_default();
        let verification = overall_verification(o.verify, &passes);
        let assurance = assess(&item.facts(o), Some((status, verification)));
        let planned = item.pass_bytes * o.method.passes().len() as u64;
        TargetReport {
            target: TargetInfo {
                kind: item.kind.unwrap_or(TargetKind::File),
                path: item.path.display().to_string(),
                files: item.files.len() as u64,
                folders: item.folders,
                bytes: item.bytes,
            },
            media: item.media.clone(),
            method: o.method.clone(),
            method_description: o.method.description(),
            technique: Technique::of(&o.method),
            verification_mode: o.verify,
            verification_result: verification,
            io_mode: IoMode::Direct,
            bytes_written: outcome.map_or(0, Outcome::bytes_written),
            bytes_planned: planned,
            passes,
            status,
            error,
            post_actions: post,
            assurance,
            started,
            finished: now(),
            crypto_erase: None,
        }
    }
}

/// What running one target produced.
struct Run {
    outcome: Outcome,
    post: Vec<String>,
    io_mode: IoMode,
    error: Option<String>,
    files: u64,
    folders: u64,
    blockers: Vec<String>,
    notes: Vec<String>,
    media: Option<MediaInfo>,
    /// Bytes per pass as found while running (free space claimed).
    pass_bytes: Option<u64>,
}

impl Run {
    fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            post: Vec::new(),
            io_mode: IoMode::Direct,
            error: None,
            files: 0,
            folders: 0,
            blockers: Vec::new(),
            notes: Vec::new(),
            media: None,
            pass_bytes: None,
        }
    }
}
