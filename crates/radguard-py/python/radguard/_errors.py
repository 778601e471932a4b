"""The exceptions radguard raises.

Every error derives from :class:`RadguardError`, which carries ``reason``:
the PHI-free reason code that radguard's audit records use (for example
``"truncated"``, ``"burned_in_annotation"``, ``"not_dicom"``). Messages are
the ones the ``radguard`` command line prints for the same failure; they
never contain values read from a file (names, IDs, dates) nor key material.
"""

from __future__ import annotations

import errno as _errno

__all__ = [
    "RadguardError",
    "NotDicomError",
    "InvalidDicomError",
    "RefusedError",
    "InvalidInputError",
    "KeyFileError",
    "KeyManagementError",
    "DecryptionError",
    "OutputExistsError",
    "RadguardIOError",
]


class RadguardError(Exception):
    """Base class of radguard's errors."""

    reason: str
    """PHI-free reason code, as in audit records."""

    message: str
    """What failed, and why (as the command line says it)."""

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        return self.message


class NotDicomError(RadguardError):
    """The input is not a DICOM file (a folder walk may skip it)."""


class InvalidDicomError(RadguardError):
    """A malformed or unsupported DICOM file."""


class RefusedError(RadguardError):
    """Refused by policy: truncated file, DICOMDIR, possible burned-in
    annotation (see ``allow_burned_in``), no SOP Instance UID."""


class InvalidInputError(RadguardError, ValueError):
    """A bad argument: unknown option, malformed tag, CVSS vector,
    inventory or pseudonym list."""


class KeyFileError(RadguardError):
    """A key file or keyring that may not be used: readable by other users
    (``chmod 600`` it), not a regular file, or not a key."""


class KeyManagementError(RadguardError):
    """A key is unknown to the keyring, destroyed, or there is no primary key."""


class DecryptionError(RadguardError):
    """Decryption failed: wrong key, or the data was modified, truncated
    or moved. Deliberately says no more."""


class OutputExistsError(RadguardError, FileExistsError):
    """The output exists and ``overwrite`` was not asked for."""

    def __init__(self, message: str, reason: str = "output_exists") -> None:
        super().__init__(message, reason)
        self.errno = _errno.EEXIST
        self.strerror = message


class RadguardIOError(RadguardError, OSError):
    """Reading or writing failed."""

    def __init__(self, message: str, reason: str = "io_error") -> None:
        super().__init__(message, reason)
        self.errno = None
        self.strerror = message
