//! Lists every attribute of a DICOM file with its nested path and VR, never
//! its value.
//!
//! ```text
//! cargo run -p radguard-examples --bin walk_paths -- tests/data/pydicom/test-SR.dcm
//! ```

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let path = std::env::args_os()
        .nth(1)
        .context("usage: walk_paths FILE")?;
    let file = radguard_dicom::open(&path)?;
    let mut lines = Vec::new();
    radguard_dicom::walk(file.dataset(), &mut |p, e| {
        lines.push(format!("{p} {}", e.vr().to_string()));
    });
    let out = lines.join("\n");
    #[allow(clippy::print_stdout)]
    {
        println!("{out}");
    }
    Ok(())
}
