"""Passphrase rules and key derivation.

The key is derived exactly as SQLCipher 4 derives it from a passphrase (PBKDF2-HMAC-SHA512,
256,000 iterations, the file's 16-byte salt), once per unlock, and handed to every pooled
connection as a raw key. A workspace therefore still opens in any standard SQLCipher 4 tool
with ``PRAGMA key = 'passphrase'`` (for recovery), while the app pays the KDF cost once, not
once per connection."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass, field

from toexdesk.core.errors import PassphraseRejected

MIN_PASSPHRASE_LENGTH = 12
KDF_ITERATIONS = 256_000  # SQLCipher 4 default
SALT_BYTES = 16
KEY_BYTES = 32


def normalise_passphrase(passphrase: str) -> bytes:
    # NFC so the same passphrase typed on another keyboard layout/OS gives the same key.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_new_passphrase(passphrase: str) -> None:
    """Raise PassphraseRejected with a clear reason if a new passphrase is too weak."""
    length = len(unicodedata.normalize("NFC", passphrase))
    if not passphrase.strip():
        raise PassphraseRejected("The passphrase is empty.")
    if length < MIN_PASSPHRASE_LENGTH:
        raise PassphraseRejected(
            f"The passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters long "
            f"(this one has {length})."
        )
    if len(set(passphrase)) < 4:
        raise PassphraseRejected("The passphrase repeats too few different characters.")


def passphrase_strength(passphrase: str) -> tuple[int, str]:
    """A hint for people choosing a passphrase: score 0–4 and words to show beside it.
    Length matters most; a few unrelated words beat a short jumble."""
    length = len(unicodedata.normalize("NFC", passphrase))
    if length < MIN_PASSPHRASE_LENGTH:
        return 0, f"Too short: at least {MIN_PASSPHRASE_LENGTH} characters"
    classes = sum(
        any(test(ch) for ch in passphrase)
        for test in (str.islower, str.isupper, str.isdigit, lambda ch: not ch.isalnum())
    )
    words = len(passphrase.split())
    score = 1 + (length >= 16) + (length >= 24 or words >= 4) + (classes >= 3)
    if len(set(passphrase.casefold())) < 6:
        score = 1
    return min(score, 4), ["", "Weak", "Fair", "Good", "Strong"][min(score, 4)]


@dataclass(frozen=True)
class RawKey:
    """A derived key and the salt it belongs to. repr never shows the key."""

    key: bytes = field(repr=False)
    salt: bytes

    def pragma_value(self, *, with_salt: bool) -> str:
        """The blob literal for PRAGMA key / rekey. With the salt, it sets a new file's salt."""
        hex_ = self.key.hex() + (self.salt.hex() if with_salt else "")
        return f"\"x'{hex_}'\""


def derive_key(passphrase: str, salt: bytes) -> RawKey:
    key = hashlib.pbkdf2_hmac(
        "sha512", normalise_passphrase(passphrase), salt, KDF_ITERATIONS, KEY_BYTES
    )
    return RawKey(key, salt)


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


# --- "Remember on this computer": the OS credential store, or nothing -------------------
KEYRING_SERVICE = "TOEX Desk workspace"
# Backends that keep secrets in a readable file, or nowhere: never used for passphrases.
_REFUSED_MODULES = (
    "keyrings.alt",
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyring.backends.chainer",
)


@dataclass(frozen=True)
class RememberSupport:
    """Whether remembering a passphrase can be offered here, and if not, why not."""

    available: bool
    reason: str
    backend: str


def load_keyring():
    """The operating system's keyring backend (slow the first time: call it off the UI
    thread), or None when the keyring package cannot load one."""
    try:
        import keyring

        return keyring.get_keyring()
    except Exception:
        return None


def _backend_name(backend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def remember_support(backend=None) -> RememberSupport:
    """Check the keyring once; a missing or plaintext store disables the option (fail closed).

    On Windows the Credential Locker is told to keep the entry on this machine only
    ("local machine" persistence), so it does not roam with the user's profile."""
    if backend is None:
        try:
            import keyring

            backend = keyring.get_keyring()
        except Exception as exc:  # a broken keyring install must not stop the app
            return RememberSupport(
                False, f"The credential store could not be loaded ({type(exc).__name__}).", "none"
            )
    name = _backend_name(backend)
    if name.startswith(_REFUSED_MODULES) or "plaintext" in name.lower():
        reason = (
            "This computer has no secure credential store (such as Windows Credential "
            "Locker), so passphrases cannot be remembered."
        )
        if "keyrings.alt" in name or "plaintext" in name.lower():
            reason = (
                "The only credential store here keeps secrets in a readable file, so "
                "passphrases are not remembered."
            )
        return RememberSupport(False, reason, name)
    if name == "keyring.backends.Windows.WinVaultKeyring":
        backend.persist = "local machine"
    return RememberSupport(True, "Stored in the operating system's credential store.", name)


def _account(path) -> str:
    from pathlib import Path

    return str(Path(path).resolve())


def remember_passphrase(path, passphrase: str, backend) -> None:
    """Store a workspace's passphrase in a secure credential store (checked by the caller
    with ``remember_support``)."""
    if not remember_support(backend).available:
        raise PassphraseRejected("Passphrases cannot be remembered on this computer.")
    backend.set_password(KEYRING_SERVICE, _account(path), passphrase)


def recall_passphrase(path, backend) -> str | None:
    """The remembered passphrase, or None (also when the store fails: fail closed)."""
    if not remember_support(backend).available:
        return None
    try:
        return backend.get_password(KEYRING_SERVICE, _account(path))
    except Exception:
        return None


def forget_passphrase(path, backend) -> None:
    if not remember_support(backend).available:
        return
    try:
        backend.delete_password(KEYRING_SERVICE, _account(path))
    except Exception:  # nothing stored, or the store is gone: either way nothing is kept
        return
