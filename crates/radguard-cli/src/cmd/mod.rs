//! One module per subcommand.

pub(crate) mod crypt;
pub(crate) mod inspect;
pub(crate) mod keys;
