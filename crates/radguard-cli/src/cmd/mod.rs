//! One module per subcommand.

pub(crate) mod cert;
pub(crate) mod crypt;
pub(crate) mod deid;
pub(crate) mod inspect;
pub(crate) mod keys;
pub(crate) mod risk;
pub(crate) mod wipe;
