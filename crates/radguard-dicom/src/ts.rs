//! Transfer syntax lookup.

use dicom_encoding::TransferSyntax;
use dicom_encoding::transfer_syntax::{Codec, Endianness, TransferSyntaxIndex};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use crate::error::{Error, Result};
use crate::parse::Enc;
use crate::text::trim_value;

static REGISTRY: TransferSyntaxRegistry = TransferSyntaxRegistry;

/// Implicit VR Little Endian.
pub(crate) const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub(crate) const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
/// Explicit VR Big Endian (retired).
pub(crate) const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";

/// What radguard needs to know about a transfer syntax.
#[derive(Clone, Copy)]
pub(crate) struct TsInfo {
    pub(crate) ts: &'static TransferSyntax,
    pub(crate) enc: Enc,
    pub(crate) deflated: bool,
}

impl std::fmt::Debug for TsInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsInfo")
            .field("uid", &self.ts.uid())
            .field("enc", &self.enc)
            .field("deflated", &self.deflated)
            .finish()
    }
}

/// Looks a transfer syntax up in dicom-rs's registry.
pub(crate) fn lookup(uid: &str) -> Result<TsInfo> {
    let uid = trim_value(uid);
    let ts = REGISTRY
        .get(uid)
        .ok_or_else(|| Error::UnsupportedTransferSyntax {
            uid: sanitize_uid(uid),
            why: "not a transfer syntax known to radguard",
        })?;
    let deflated = match ts.codec() {
        Codec::Dataset(Some(_)) => true,
        Codec::Dataset(None) => {
            return Err(Error::UnsupportedTransferSyntax {
                uid: sanitize_uid(uid),
                why: "its data set encoding is not supported",
            });
        }
        _ => false,
    };
    let enc = if uid == IMPLICIT_VR_LE {
        Enc::IMPLICIT_LE
    } else if ts.endianness() == Endianness::Big {
        Enc::EXPLICIT_BE
    } else {
        Enc::EXPLICIT_LE
    };
    Ok(TsInfo { ts, enc, deflated })
}

/// The transfer syntax used to encode elements themselves: for a deflated
/// transfer syntax radguard deflates the stream itself, so elements are
/// encoded as Explicit VR Little Endian.
pub(crate) fn element_ts(info: &TsInfo) -> Result<&'static TransferSyntax> {
    if info.deflated {
        lookup(EXPLICIT_VR_LE).map(|i| i.ts)
    } else {
        Ok(info.ts)
    }
}

/// A UID safe to show: digits and dots only, at most 64 characters;
/// anything else becomes `<invalid>`.
pub(crate) fn sanitize_uid(uid: &str) -> String {
    let uid = trim_value(uid);
    if !uid.is_empty() && uid.len() <= 64 && uid.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        uid.to_owned()
    } else {
        "<invalid>".to_owned()
    }
}

/// The registry name of a transfer syntax, if it is known.
pub(crate) fn name(uid: &str) -> Option<&'static str> {
    REGISTRY.get(trim_value(uid)).map(TransferSyntax::name)
}
