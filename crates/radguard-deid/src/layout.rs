//! radguard's pseudonymous output layout, for callers that write files
//! into a folder (the CLI, the Python package, distributed runs).

use std::path::{Path, PathBuf};

use radguard_dicom::{PendingFile, WriteOptions};

use crate::{Deidentifier, Error, Report};

impl Deidentifier {
    /// De-identifies the file at `input` into `outdir`, naming the output
    /// `outdir/`[`OutputIdentity::relative_path`](crate::OutputIdentity::relative_path)
    /// (`<Patient ID>/<Study UID>/<Series UID>/<SOP Instance UID>.dcm`,
    /// all de-identified) and creating its folders. The same key gives the
    /// same name on any machine, in any order and in any split of a batch,
    /// and no input name reaches the output. Returns the output path with
    /// the report; the output appears under its name on
    /// [`PendingFile::commit`] (or [`radguard_dicom::commit_all`]).
    ///
    /// # Errors
    ///
    /// As [`Deidentifier::deidentify_file_named`], plus errors creating
    /// the output's folders.
    pub fn deidentify_file_into(
        &self,
        input: &Path,
        outdir: &Path,
        opts: &WriteOptions,
    ) -> Result<(PendingFile, Report), Error> {
        let mut made = Ok(());
        let r = self.deidentify_file_named(
            input,
            &mut |id| {
                let p: PathBuf = outdir.join(id.relative_path());
                if let Some(parent) = p.parent() {
                    made = std::fs::create_dir_all(parent);
                }
                p
            },
            opts,
        );
        made?;
        r
    }
}
