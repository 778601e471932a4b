//! Sanitizes a folder with radguard-wipe, then signs and verifies a
//! certificate of sanitization, using the library directly.
//!
//! ```text
//! cargo run -p radguard-examples --bin wipe_and_certify -- FOLDER
//! ```
//!
//! The folder is wiped and removed. The certificate is printed, signed with
//! a key generated for this run (use a persistent key in real use).

use std::ops::ControlFlow;

use anyhow::{Context, bail};
use radguard_core::SecretKey;
use radguard_wipe::{
    Certificate, Method, Operator, Options, Progress, SignedCertificate, SigningKey, Target,
    Verify, Wiper,
};

fn main() -> anyhow::Result<()> {
    let folder = std::env::args_os()
        .nth(1)
        .context("usage: wipe_and_certify FOLDER")?;
    let wiper = Wiper::new(Options::new().method(Method::Clear).verify(Verify::Last));
    let plan = wiper.plan(&[Target::Path(folder.into())]);
    for item in plan.items() {
        if !item.is_allowed() {
            bail!(
                "{}: refused: {}",
                item.path.display(),
                item.refusals.join("; ")
            );
        }
    }
    let started = Certificate::now();
    let mut bytes = 0u64;
    let mut progress = |p: &Progress| {
        bytes += p.delta;
        ControlFlow::Continue(())
    };
    let reports = wiper.execute(&plan, &mut progress);

    let key = SigningKey::from_secret(&SecretKey::generate()?);
    let cert = Certificate::new(
        reports,
        Operator::named(radguard_wipe::current_user()),
        radguard_wipe::host_name(),
        started,
        Certificate::now(),
        &key.public_key(),
    )?;
    let json = cert.sign(&key)?.to_json();
    // Anyone holding the public key can check it later.
    let record = SignedCertificate::from_json(json.as_bytes())?
        .verify(Some(&key.public_key()))?
        .clone();
    #[allow(clippy::print_stdout)]
    {
        println!("{bytes} bytes processed\n{}", record.render_text());
    }
    Ok(())
}
