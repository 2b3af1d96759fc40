"""Secrets without a keyring service: an encrypted file (the real keyrings.cryptfile backend
on a temporary folder) unlocked by a passphrase once per start, never plain text; or this
run only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from voicepanel.core.errors import VoicePanelError
from voicepanel.session.profiles import SecretMode, SecretName, SecretStore

TOKEN = "fj-management-token-3f9a1c"
KEY = "vapi-private-key-77b2e0"


def test_without_a_keyring_secrets_are_for_this_run_until_a_file_is_made(tmp_path: Path) -> None:
    store = SecretStore(secret_file=tmp_path / "secrets.cfg")
    assert store.mode is SecretMode.THIS_RUN and not store.persistent
    store.set("Staging", SecretName.MANAGEMENT_TOKEN, TOKEN)
    assert not (tmp_path / "secrets.cfg").exists(), "nothing written without a passphrase"

    store.create_file("correct horse battery staple")
    assert store.mode is SecretMode.ENCRYPTED_FILE and store.persistent
    store.set("Staging", SecretName.VAPI_KEY, KEY)

    text = (tmp_path / "secrets.cfg").read_text()
    assert TOKEN not in text and KEY not in text, "never plain text"
    assert stat.S_IMODE((tmp_path / "secrets.cfg").stat().st_mode) == 0o600


def test_the_next_start_asks_for_the_passphrase_and_gets_the_secrets_back(
    tmp_path: Path,
) -> None:
    first = SecretStore(secret_file=tmp_path / "secrets.cfg")
    first.create_file("correct horse battery staple")
    first.set("Staging", SecretName.MANAGEMENT_TOKEN, TOKEN)
    first.set("Staging", SecretName.VAPI_KEY, KEY)

    again = SecretStore(secret_file=tmp_path / "secrets.cfg")
    assert again.file_locked and again.get("Staging", SecretName.MANAGEMENT_TOKEN) is None
    with pytest.raises(VoicePanelError, match="does not open the secrets file"):
        again.unlock_file("Correct horse battery staple", ["Staging"])
    assert again.file_locked
    again.unlock_file("correct horse battery staple", ["Staging"])
    assert again.get("Staging", SecretName.MANAGEMENT_TOKEN) == TOKEN
    assert again.get("Staging", SecretName.VAPI_KEY) == KEY

    again.delete_profile("Staging")
    third = SecretStore(secret_file=tmp_path / "secrets.cfg")
    third.unlock_file("correct horse battery staple", ["Staging"])
    assert third.get("Staging", SecretName.MANAGEMENT_TOKEN) is None


def test_secrets_typed_before_unlocking_are_kept_in_the_file(tmp_path: Path) -> None:
    SecretStore(secret_file=tmp_path / "secrets.cfg").create_file("pass phrase")
    store = SecretStore(secret_file=tmp_path / "secrets.cfg")
    store.set("Prod", SecretName.MANAGEMENT_TOKEN, TOKEN)  # typed while still locked
    store.unlock_file("pass phrase", ["Prod"])
    later = SecretStore(secret_file=tmp_path / "secrets.cfg")
    later.unlock_file("pass phrase", ["Prod"])
    assert later.get("Prod", SecretName.MANAGEMENT_TOKEN) == TOKEN


def test_file_keyrings_that_keyring_falls_back_to_are_never_taken_for_the_os_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `keyring` picks on a machine without a keyring service: a chain of the installed
    # file backends (keyrings.cryptfile's would ask for a passphrase on a terminal, its
    # plaintext one writes plain text).
    from keyring.backends.chainer import ChainerBackend
    from keyrings.cryptfile.cryptfile import CryptFileKeyring
    from keyrings.cryptfile.file import PlaintextKeyring

    monkeypatch.setattr(
        ChainerBackend, "backends", property(lambda _: [CryptFileKeyring(), PlaintextKeyring()])
    )
    for chosen in (ChainerBackend(), CryptFileKeyring(), PlaintextKeyring()):
        store = SecretStore(backend=chosen, secret_file=tmp_path / "secrets.cfg")
        assert store.mode is SecretMode.THIS_RUN, type(chosen).__name__
        store.set("Staging", SecretName.MANAGEMENT_TOKEN, TOKEN)
        assert store.get("Staging", SecretName.MANAGEMENT_TOKEN) == TOKEN
    assert not list(tmp_path.iterdir()), "nothing written without the person's passphrase"
