//! Key-encryption keys in a PKCS#11 token (an HSM, a smart card, SoftHSM):
//! [`Pkcs11Provider`] (feature `pkcs11`, through the `cryptoki` binding).
//!
//! # How data keys are wrapped
//!
//! The KEK is an AES-256 secret key object **in the token**, created there
//! ([`Pkcs11Provider::generate_key`]) with `CKA_TOKEN`, `CKA_PRIVATE` and
//! `CKA_SENSITIVE` true and `CKA_EXTRACTABLE` false: its value never leaves
//! the token, and radguard never sees it. It is found by its `CKA_LABEL`,
//! which is the key id stored in each encrypted file's envelope.
//!
//! Wrapping a data key `DK` under KEK `id` with wrap context `C` (format
//! §2):
//!
//! ```text
//! H       = SHA-256("radguard-crypt pkcs11 wrap v1\0" ‖ BE8(len id) ‖ id ‖ C)
//! object  = a session secret key object (CKK_GENERIC_SECRET, not sensitive,
//!           extractable) holding the 64 bytes DK ‖ H, created in the token
//! wrapped = 0x02 ‖ C_WrapKey(CKM_AES_KEY_WRAP_PAD, KEK, object)      (1 + 72 bytes)
//! ```
//!
//! `CKM_AES_KEY_WRAP_PAD` is AES Key Wrap with Padding (RFC 5649, NIST SP
//! 800-38F KWP), supported by SoftHSM2 and most HSMs; it is a deterministic
//! authenticated encryption, so carrying `H` inside the wrapped value
//! authenticates the key id and context (the way SIV carries associated
//! data), with no nonce to manage and no limit on the number of wraps.
//! Unwrapping runs `C_UnwrapKey` into a session object, reads it back,
//! checks `H` in constant time and destroys the object; any mismatch is
//! the opaque [`Error::Decrypt`]. (AES-GCM through `C_Encrypt` would also
//! do, but needs a unique 96-bit IV per wrap: at most 2^32 random IVs per
//! KEK.)
//!
//! # Destroying keys
//!
//! [`Pkcs11Provider::destroy_key`] deletes the KEK object from the token
//! (`C_DestroyObject`): crypto-erase of everything wrapped under it, as
//! strong as the token's own deletion. It leaves a data object labelled
//! `radguard-destroyed:<id>` so that unwrapping reports
//! [`Error::KeyDestroyed`] rather than an unknown key.
//!
//! # Examples
//!
//! ```no_run
//! use radguard_crypt::pkcs11::Pkcs11Provider;
//! use radguard_crypt::dicom::{encrypt_file, EncryptOptions};
//!
//! let pin = std::fs::read("/etc/radguard/token.pin")?;
//! let mut hsm = Pkcs11Provider::open("/usr/lib/softhsm/libsofthsm2.so", "archive", &pin)?;
//! hsm.set_primary("archive-kek-2026".parse()?);
//! encrypt_file("ct.dcm", "ct.enc.dcm", &hsm, &EncryptOptions::new())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use radguard_core::{KeyId, SecretKey};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::keyring::KeyStatus;
use crate::provider::KeyProvider;

const WRAP_FORMAT: u8 = 0x02;
const WRAP_LABEL: &[u8] = b"radguard-crypt pkcs11 wrap v1\0";
const TOMBSTONE_PREFIX: &str = "radguard-destroyed:";
/// Bytes of a wrapped data key: format byte + KWP of 64 bytes.
pub const PKCS11_WRAPPED_LEN: usize = 1 + 72;

/// What went wrong talking to the token (never key material or the PIN).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The PKCS#11 module could not be loaded or initialized.
    #[error("cannot load the PKCS#11 module {path} ({detail})")]
    Module {
        /// The module's path.
        path: PathBuf,
        /// What the loader or `C_Initialize` said.
        detail: String,
    },
    /// No initialized token has this label.
    #[error("no PKCS#11 token labelled {label:?}")]
    NoToken {
        /// The label asked for.
        label: String,
    },
    /// Logging in failed.
    #[error("cannot log in to the token: {detail}")]
    Login {
        /// `wrong PIN`, `PIN locked`, or the return value.
        detail: String,
    },
    /// A PKCS#11 call failed (token removed, session closed, ...).
    #[error("PKCS#11 {op} failed ({detail})")]
    Call {
        /// What was being done.
        op: &'static str,
        /// The return value, e.g. `DeviceRemoved`.
        detail: String,
    },
}

fn provider_err(e: Pkcs11Error) -> Error {
    Error::Provider {
        source: Box::new(e),
    }
}

fn rv_of(e: &CkError) -> Option<RvError> {
    match e {
        CkError::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

fn call_err(op: &'static str) -> impl Fn(CkError) -> Error {
    move |e| {
        let detail = match rv_of(&e) {
            Some(rv) => format!("{rv:?}"),
            None => e.to_string(),
        };
        provider_err(Pkcs11Error::Call { op, detail })
    }
}

/// One context per module path in the process: PKCS#11 allows one
/// `C_Initialize` per application.
fn context(module: &Path) -> Result<Pkcs11> {
    static CONTEXTS: Mutex<Option<HashMap<PathBuf, Pkcs11>>> = Mutex::new(None);
    let mut guard = CONTEXTS.lock().map_err(|_| {
        provider_err(Pkcs11Error::Module {
            path: module.to_path_buf(),
            detail: "lock poisoned".to_owned(),
        })
    })?;
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(c) = map.get(module) {
        return Ok(c.clone());
    }
    let module_err = |detail: String| {
        provider_err(Pkcs11Error::Module {
            path: module.to_path_buf(),
            detail,
        })
    };
    let ctx = Pkcs11::new(module).map_err(|e| module_err(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => {}
        Err(e) if rv_of(&e) == Some(RvError::CryptokiAlreadyInitialized) => {}
        Err(e) => return Err(module_err(format!("C_Initialize: {e}"))),
    }
    map.insert(module.to_path_buf(), ctx.clone());
    Ok(ctx)
}

/// A [`KeyProvider`] whose key-encryption keys live in a PKCS#11 token.
///
/// See the [module documentation](self) for the wrapping mechanism. The
/// provider keeps one logged-in session and a pool of further sessions, so
/// it can be shared by many threads ([`KeyProvider`] is `Sync`).
///
/// # Security
///
/// - KEKs are created non-extractable and sensitive in the token; data
///   keys pass through the token only inside a wrap or unwrap call, as
///   short-lived session objects destroyed right after.
/// - The PIN is kept (zeroized on drop) only to log in again if the
///   token's login state is lost.
/// - A token that fails mid-batch (removed, reset) makes every later call
///   fail with [`Error::Provider`]; nothing is written for those files.
pub struct Pkcs11Provider {
    ctx: Pkcs11,
    slot: Slot,
    token: String,
    module: PathBuf,
    pin: AuthPin,
    primary: Option<KeyId>,
    /// The session that logged in (login state is per application).
    login: Mutex<Session>,
    pool: Mutex<Vec<Session>>,
    handles: Mutex<HashMap<KeyId, ObjectHandle>>,
}

impl core::fmt::Debug for Pkcs11Provider {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs11Provider")
            .field("module", &self.module)
            .field("token", &self.token)
            .field("primary", &self.primary)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Provider {
    /// Loads `module`, finds the initialized token labelled `token_label`
    /// and logs in as the normal user with `pin` (surrounding whitespace
    /// and a final newline are ignored). No primary key is set: give one
    /// with [`Pkcs11Provider::set_primary`] to encrypt.
    ///
    /// # Errors
    ///
    /// [`Error::Provider`] with a [`Pkcs11Error`]: the module cannot be
    /// loaded, no such token, wrong or locked PIN.
    pub fn open(module: impl AsRef<Path>, token_label: &str, pin: &[u8]) -> Result<Self> {
        let module = module.as_ref().to_path_buf();
        let ctx = context(&module)?;
        let slots = ctx
            .get_slots_with_initialized_token()
            .map_err(call_err("C_GetSlotList"))?;
        let mut found = None;
        for s in slots {
            let info = ctx.get_token_info(s).map_err(call_err("C_GetTokenInfo"))?;
            if info.label().trim_end() == token_label {
                found = Some(s);
                break;
            }
        }
        let slot = found.ok_or_else(|| {
            provider_err(Pkcs11Error::NoToken {
                label: token_label.to_owned(),
            })
        })?;
        let text = Zeroizing::new(String::from_utf8_lossy(pin).trim().to_owned());
        let pin = AuthPin::from(text.as_str());
        let login = ctx
            .open_rw_session(slot)
            .map_err(call_err("C_OpenSession"))?;
        match login.login(UserType::User, Some(&pin)) {
            Ok(()) => {}
            Err(e) if rv_of(&e) == Some(RvError::UserAlreadyLoggedIn) => {}
            Err(e) => {
                let detail = match rv_of(&e) {
                    Some(RvError::PinIncorrect) => "wrong PIN".to_owned(),
                    Some(RvError::PinLocked) => "PIN locked".to_owned(),
                    Some(rv) => format!("{rv:?}"),
                    None => e.to_string(),
                };
                return Err(provider_err(Pkcs11Error::Login { detail }));
            }
        }
        Ok(Self {
            ctx,
            slot,
            token: token_label.to_owned(),
            module,
            pin,
            primary: None,
            login: Mutex::new(login),
            pool: Mutex::new(Vec::new()),
            handles: Mutex::new(HashMap::new()),
        })
    }

    /// Makes `id` the key new data keys are wrapped under.
    pub fn set_primary(&mut self, id: KeyId) {
        self.primary = Some(id);
    }

    /// The token's label.
    #[must_use]
    pub fn token_label(&self) -> &str {
        &self.token
    }

    /// Runs `f` with a session from the pool (a new one if none is free);
    /// the session goes back to the pool unless the call failed.
    fn with_session<T>(&self, f: impl FnOnce(&Session) -> Result<T>) -> Result<T> {
        let taken = self.pool.lock().ok().and_then(|mut p| p.pop());
        let session = match taken {
            Some(s) => s,
            None => self
                .ctx
                .open_rw_session(self.slot)
                .map_err(call_err("C_OpenSession"))?,
        };
        let r = f(&session);
        if r.is_ok()
            && let Ok(mut p) = self.pool.lock()
        {
            p.push(session);
        }
        r
    }

    fn find(&self, s: &Session, template: &[Attribute]) -> Result<Vec<ObjectHandle>> {
        s.find_objects(template).map_err(call_err("C_FindObjects"))
    }

    fn kek_template(id: &KeyId) -> Vec<Attribute> {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Label(id.as_str().as_bytes().to_vec()),
        ]
    }

    fn tombstone_label(id: &KeyId) -> Vec<u8> {
        format!("{TOMBSTONE_PREFIX}{id}").into_bytes()
    }

    fn is_destroyed(&self, s: &Session, id: &KeyId) -> Result<bool> {
        let t = self.find(
            s,
            &[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Label(Self::tombstone_label(id)),
            ],
        )?;
        Ok(!t.is_empty())
    }

    /// The KEK's handle, from the cache or the token.
    fn kek(&self, s: &Session, id: &KeyId) -> Result<ObjectHandle> {
        if let Some(h) = self.handles.lock().ok().and_then(|m| m.get(id).copied()) {
            return Ok(h);
        }
        let found = self.find(s, &Self::kek_template(id))?;
        match found.as_slice() {
            [h] => {
                if let Ok(mut m) = self.handles.lock() {
                    m.insert(id.clone(), *h);
                }
                Ok(*h)
            }
            [] if self.is_destroyed(s, id)? => Err(Error::KeyDestroyed { key_id: id.clone() }),
            [] => Err(Error::UnknownKey { key_id: id.clone() }),
            _ => Err(Error::KeyManagement {
                what: "several keys in the token have this label",
            }),
        }
    }

    /// Runs `f` with the KEK's handle; a stale cached handle (the key was
    /// destroyed meanwhile) is looked up again once.
    fn with_kek<T>(
        &self,
        s: &Session,
        id: &KeyId,
        f: &dyn Fn(ObjectHandle) -> std::result::Result<T, CkError>,
    ) -> Result<std::result::Result<T, CkError>> {
        let h = self.kek(s, id)?;
        let r = f(h);
        let stale = matches!(
            r.as_ref().err().and_then(rv_of),
            Some(
                RvError::ObjectHandleInvalid
                    | RvError::KeyHandleInvalid
                    | RvError::WrappingKeyHandleInvalid
                    | RvError::UnwrappingKeyHandleInvalid
            )
        );
        if !stale {
            return Ok(r);
        }
        if let Ok(mut m) = self.handles.lock() {
            m.remove(id);
        }
        let h = self.kek(s, id)?;
        Ok(f(h))
    }

    /// `true` if the token holds a live KEK labelled `id`.
    ///
    /// # Errors
    ///
    /// [`Error::Provider`] if the token cannot be asked.
    pub fn key_status(&self, id: &KeyId) -> Result<Option<KeyStatus>> {
        self.with_session(|s| {
            if !self.find(s, &Self::kek_template(id))?.is_empty() {
                Ok(Some(if self.primary.as_ref() == Some(id) {
                    KeyStatus::Primary
                } else {
                    KeyStatus::Active
                }))
            } else if self.is_destroyed(s, id)? {
                Ok(Some(KeyStatus::Destroyed))
            } else {
                Ok(None)
            }
        })
    }

    /// Creates a KEK labelled `id` in the token: AES-256, generated there,
    /// non-extractable and sensitive, usable to wrap and unwrap.
    ///
    /// # Errors
    ///
    /// [`Error::KeyManagement`] if a key (or the record of a destroyed
    /// key) with this label exists; [`Error::Provider`].
    pub fn generate_key(&self, id: &KeyId) -> Result<()> {
        if self.key_status(id)?.is_some() {
            return Err(Error::KeyManagement {
                what: "the token already has (or had) a key with this label",
            });
        }
        self.with_session(|s| {
            s.generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::AES),
                    Attribute::ValueLen(32.into()),
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Wrap(true),
                    Attribute::Unwrap(true),
                    Attribute::Encrypt(false),
                    Attribute::Decrypt(false),
                    Attribute::Label(id.as_str().as_bytes().to_vec()),
                    Attribute::Id(id.as_str().as_bytes().to_vec()),
                ],
            )
            .map_err(call_err("C_GenerateKey"))?;
            Ok(())
        })
    }

    /// Deletes the KEK labelled `id` from the token (crypto-erase of every
    /// data key wrapped under it) and records its destruction.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`] / [`Error::KeyDestroyed`] if there is no live
    /// key with this label; [`Error::Provider`].
    pub fn destroy_key(&self, id: &KeyId) -> Result<()> {
        self.with_session(|s| {
            let found = self.find(s, &Self::kek_template(id))?;
            if found.is_empty() {
                return Err(if self.is_destroyed(s, id)? {
                    Error::KeyDestroyed { key_id: id.clone() }
                } else {
                    Error::UnknownKey { key_id: id.clone() }
                });
            }
            for h in found {
                s.destroy_object(h).map_err(call_err("C_DestroyObject"))?;
            }
            if let Ok(mut m) = self.handles.lock() {
                m.remove(id);
            }
            s.create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Label(Self::tombstone_label(id)),
                Attribute::Application(b"radguard".to_vec()),
                Attribute::Value(b"destroyed".to_vec()),
            ])
            .map_err(call_err("C_CreateObject"))?;
            Ok(())
        })
    }

    /// Logs in again after the token lost the login state (kept simple:
    /// one attempt).
    fn relogin(&self) {
        if let Ok(s) = self.login.lock() {
            let _ = s.login(UserType::User, Some(&self.pin));
        }
    }
}

/// The short-lived session object a data key passes through: a readable,
/// non-private generic secret (not a token object the module protects at
/// rest), destroyed right after the call.
fn session_key_template() -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Private(false),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ]
}

fn context_hash(id: &KeyId, context: &[u8]) -> [u8; 32] {
    let idb = id.as_str().as_bytes();
    let mut h = Sha256::new();
    h.update(WRAP_LABEL);
    // KeyId is at most 64 bytes.
    h.update([u8::try_from(idb.len()).unwrap_or(u8::MAX)]);
    h.update(idb);
    h.update(context);
    h.finalize().into()
}

impl KeyProvider for Pkcs11Provider {
    fn primary_key_id(&self) -> Result<KeyId> {
        self.primary.clone().ok_or(Error::NoPrimaryKey)
    }

    fn wrap_key(&self, kek: &KeyId, data_key: &SecretKey, context: &[u8]) -> Result<Vec<u8>> {
        let mut value = Zeroizing::new(Vec::with_capacity(64));
        value.extend_from_slice(data_key.expose_secret());
        value.extend_from_slice(&context_hash(kek, context));
        let wrapped = self.with_session(|s| {
            let mut template = session_key_template();
            template.push(Attribute::Value(value.to_vec()));
            let obj = s
                .create_object(&template)
                .map_err(call_err("C_CreateObject"))?;
            let r = self.with_kek(s, kek, &|h| s.wrap_key(&Mechanism::AesKeyWrapPad, h, obj));
            let _ = s.destroy_object(obj);
            r?.map_err(call_err("C_WrapKey"))
        });
        let wrapped = match wrapped {
            Err(Error::Provider { .. }) => {
                self.relogin();
                return wrapped;
            }
            w => w?,
        };
        let mut out = Vec::with_capacity(1 + wrapped.len());
        out.push(WRAP_FORMAT);
        out.extend_from_slice(&wrapped);
        Ok(out)
    }

    fn unwrap_key(&self, kek: &KeyId, wrapped: &[u8], context: &[u8]) -> Result<SecretKey> {
        let Some((&WRAP_FORMAT, body)) = wrapped.split_first() else {
            return Err(Error::Decrypt);
        };
        if wrapped.len() != PKCS11_WRAPPED_LEN {
            return Err(Error::Decrypt);
        }
        let value = self.with_session(|s| {
            let template = session_key_template();
            let r = self.with_kek(s, kek, &|h| {
                s.unwrap_key(&Mechanism::AesKeyWrapPad, h, body, &template)
            })?;
            let obj = match r {
                Ok(o) => o,
                Err(e) => {
                    return match rv_of(&e) {
                        Some(
                            RvError::WrappedKeyInvalid
                            | RvError::EncryptedDataInvalid
                            | RvError::WrappedKeyLenRange
                            | RvError::EncryptedDataLenRange,
                        ) => Err(Error::Decrypt),
                        _ => Err(call_err("C_UnwrapKey")(e)),
                    };
                }
            };
            let attrs = s.get_attributes(obj, &[AttributeType::Value]);
            let _ = s.destroy_object(obj);
            let mut attrs = attrs.map_err(call_err("C_GetAttributeValue"))?;
            let mut value = Zeroizing::new(Vec::new());
            for a in &mut attrs {
                if let Attribute::Value(v) = a {
                    value.extend_from_slice(v);
                    v.zeroize();
                }
            }
            Ok(value)
        })?;
        if value.len() != 64 {
            return Err(Error::Decrypt);
        }
        let (dk, h) = value.split_at(32);
        if !crate::kdf::ct_eq_slices(h, &context_hash(kek, context)) {
            return Err(Error::Decrypt);
        }
        SecretKey::try_from_slice(dk).map_err(|_| Error::Decrypt)
    }
}
