//! One module per subcommand.

pub(crate) mod deid;
pub(crate) mod inspect;
pub(crate) mod risk;
