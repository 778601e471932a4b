//! One module per subcommand.

pub(crate) mod cert;
pub(crate) mod inspect;
pub(crate) mod wipe;
