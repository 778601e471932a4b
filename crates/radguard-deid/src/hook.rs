//! Site-specific rules on top of the profile.

use radguard_core::{AttrPath, AttrTag};

use crate::table::Action;

/// What a [`Hook`] sees about an attribute: where it is and what the
/// profile plans for it. Never its value.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HookContext<'a> {
    /// Where the attribute is.
    pub path: &'a AttrPath,
    /// The attribute.
    pub tag: AttrTag,
    /// Its VR (e.g. `"LO"`).
    pub vr: &'static str,
    /// For a private attribute, its block's private creator.
    pub private_creator: Option<&'a str>,
    /// The action the profile chose.
    pub action: Action,
}

/// What a hook decides instead of the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookAction {
    /// Keep the attribute (a sequence: keep and process its items).
    Keep,
    /// Remove it.
    Remove,
    /// Replace it with a zero-length value (a sequence: no items).
    Empty,
    /// Replace it with this text (for text VRs).
    Replace(String),
}

/// A site-specific rule: keep this private tag, replace that value.
///
/// Hooks run after the profile has chosen an action and may override it;
/// every override is counted in the audit record (`hook_overrides`).
///
/// # Security
///
/// A hook that keeps an attribute the profile would remove re-introduces
/// whatever it holds. Keep hooks narrow (match on tag and private creator)
/// and review them like code that handles PHI.
///
/// # Examples
///
/// ```
/// use radguard_core::AttrTag;
/// use radguard_deid::{Hook, HookAction, HookContext};
///
/// /// Keeps a vendor's dose index, reviewed as non-identifying.
/// struct KeepDose;
/// impl Hook for KeepDose {
///     fn action(&self, at: &HookContext<'_>) -> Option<HookAction> {
///         (at.private_creator == Some("ACME DOSE 1.0") && at.tag.element & 0xFF == 0x10)
///             .then_some(HookAction::Keep)
///     }
/// }
/// ```
pub trait Hook: Send + Sync {
    /// `Some` to override the profile's action for this attribute.
    fn action(&self, at: &HookContext<'_>) -> Option<HookAction>;
}
