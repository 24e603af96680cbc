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
