"""Remembering passphrases: only in a secure OS credential store, never in plaintext."""

from __future__ import annotations

import keyring.backends.fail
import pytest
from keyring_memory import MemoryKeyring

from toexdesk.core.errors import PassphraseRejected
from toexdesk.core.store import keys


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's file backend."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


def test_secure_backend_remembers_recalls_and_forgets(tmp_path):
    store = MemoryKeyring()
    path = tmp_path / "case.toex"
    assert keys.remember_support(store).available
    keys.remember_passphrase(path, "correct horse battery staple", store)
    assert keys.recall_passphrase(path, store) == "correct horse battery staple"
    # Keyed by the resolved path: the same file through another spelling is the same entry.
    assert keys.recall_passphrase(tmp_path / "." / "case.toex", store) is not None
    keys.forget_passphrase(path, store)
    assert keys.recall_passphrase(path, store) is None
    keys.forget_passphrase(path, store)  # forgetting twice is harmless


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        (keyring.backends.fail.Keyring(), "no secure credential store"),
        (PlaintextKeyring(), "readable file"),
    ],
)
def test_no_secure_store_disables_remember_with_a_reason(tmp_path, backend, why):
    support = keys.remember_support(backend)
    assert not support.available and why in support.reason
    with pytest.raises(PassphraseRejected, match="cannot be remembered"):
        keys.remember_passphrase(tmp_path / "w.toex", "correct horse battery staple", backend)
    assert keys.recall_passphrase(tmp_path / "w.toex", backend) is None
    if isinstance(backend, MemoryKeyring):
        assert backend.store == {}  # nothing was written to the plaintext store


def test_windows_credential_locker_is_kept_on_this_machine():
    class WinVaultKeyring(MemoryKeyring):
        persist = "enterprise"  # keyring's default: roams with the profile

    WinVaultKeyring.__module__ = "keyring.backends.Windows"
    locker = WinVaultKeyring()
    assert keys.remember_support(locker).available
    assert locker.persist == "local machine"


def test_failing_store_fails_closed(tmp_path):
    class Broken(MemoryKeyring):
        def get_password(self, service, username):
            raise RuntimeError("locked")

    assert keys.recall_passphrase(tmp_path / "w.toex", Broken()) is None
