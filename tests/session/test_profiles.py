"""Profiles in profiles.json, secrets in the keyring or in memory for this run only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.redact import REDACTOR
from voicepanel.session.profiles import (
    SANDBOX_PROFILE_NAME,
    SERVICE,
    Profile,
    ProfileKind,
    ProfileStore,
    SecretName,
    SecretStore,
    check_profile,
)

TOKEN = "cloud-token-1234567890"


class DictKeyring(keyring.backend.KeyringBackend):
    """A usable keyring that keeps passwords in a dict (no file, no daemon)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


def _all_files_text(root: Path) -> str:
    texts = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            texts.append((Path(dirpath) / name).read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_secrets_fall_back_to_memory_when_there_is_no_keyring(tmp_path: Path) -> None:
    store = SecretStore()  # conftest installs keyring's "fail" backend
    assert store.persistent is False
    store.set("Work", SecretName.MANAGEMENT_TOKEN, TOKEN)
    assert store.get("Work", SecretName.MANAGEMENT_TOKEN) == TOKEN
    assert SecretStore().get("Work", SecretName.MANAGEMENT_TOKEN) is None  # this run only
    store.delete("Work", SecretName.MANAGEMENT_TOKEN)
    assert store.get("Work", SecretName.MANAGEMENT_TOKEN) is None
    home = Path(os.environ["HOME"])
    assert TOKEN not in _all_files_text(home)


def test_secrets_persist_in_a_usable_keyring_under_the_voicepanel_service() -> None:
    backend = DictKeyring()
    store = SecretStore(backend)
    assert store.persistent is True
    store.set("Work", SecretName.MANAGEMENT_TOKEN, TOKEN)
    store.set("Work", SecretName.VAPI_KEY, "vapi-key-abcdef")
    assert backend.passwords[(SERVICE, "Work:management_token")] == TOKEN
    assert backend.passwords[(SERVICE, "Work:vapi_key")] == "vapi-key-abcdef"
    assert SecretStore(backend).get("Work", SecretName.MANAGEMENT_TOKEN) == TOKEN
    assert TOKEN not in REDACTOR.redact(f"token {TOKEN}")  # registered with the redactor
    store.delete_profile("Work")
    assert backend.passwords == {}
    store.delete("Work", SecretName.VAPI_KEY)  # deleting twice is fine


def test_a_keyring_that_fails_later_falls_back_to_memory() -> None:
    class Broken(DictKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.KeyringLocked("locked")

    store = SecretStore(Broken())
    store.set("Work", SecretName.VAPI_KEY, "vapi-key-abcdef")
    assert store.persistent is False
    assert store.get("Work", SecretName.VAPI_KEY) == "vapi-key-abcdef"


def test_the_sandbox_profile_is_always_there_and_cannot_be_deleted() -> None:
    store = ProfileStore()
    assert store.names() == [SANDBOX_PROFILE_NAME]
    assert store.last_used.kind is ProfileKind.SANDBOX
    with pytest.raises(VoicePanelError):
        store.delete(SANDBOX_PROFILE_NAME)
    with pytest.raises(VoicePanelError):
        store.save(Profile(SANDBOX_PROFILE_NAME, ProfileKind.CLOUD, "x"))


def test_profiles_round_trip_with_last_used_and_no_secret(tmp_path: Path) -> None:
    store = ProfileStore()
    secrets = SecretStore()
    store.save(Profile("Work", ProfileKind.CLOUD, " abc123 ", "https://vapi.example"))
    store.save(Profile("Home", ProfileKind.CLOUD, "http://127.0.0.1:5002"))
    secrets.set("Work", SecretName.MANAGEMENT_TOKEN, TOKEN)
    store.mark_used("Work")

    again = ProfileStore()
    assert again.names() == [SANDBOX_PROFILE_NAME, "Home", "Work"]
    work = again.get("Work")
    assert work is not None
    assert (work.kind, work.fishjam_id, work.vapi_base_url) == (
        ProfileKind.CLOUD,
        "abc123",
        "https://vapi.example",
    )
    assert again.last_used.name == "Work" and work.last_used is not None
    text = store.path.read_text(encoding="utf-8")
    assert TOKEN not in text
    assert json.loads(text)["last_used"] == "Work"

    again.delete("Work", secrets)
    assert secrets.get("Work", SecretName.MANAGEMENT_TOKEN) is None
    assert ProfileStore().last_used.name == SANDBOX_PROFILE_NAME


def test_a_corrupt_profiles_file_still_opens_with_the_sandbox() -> None:
    store = ProfileStore()
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text("{not json", encoding="utf-8")
    assert ProfileStore().names() == [SANDBOX_PROFILE_NAME]


def test_a_cloud_profile_needs_a_name_and_a_fishjam_id() -> None:
    store = ProfileStore()
    with pytest.raises(VoicePanelError):
        store.save(Profile(" ", ProfileKind.CLOUD, "abc"))
    with pytest.raises(VoicePanelError):
        store.save(Profile("Work", ProfileKind.CLOUD, ""))


async def test_check_profile_says_what_works(sandbox) -> None:  # type: ignore[no-untyped-def]
    profile = Profile("Local", ProfileKind.CLOUD, sandbox.fishjam_url, sandbox.vapi_base_url)
    check = await check_profile(profile, sandbox.config.token, sandbox.config.vapi_key)
    assert check.ok, check
    assert "Fishjam" in check.fishjam_text and "VAPI" in check.vapi_text


async def test_check_profile_explains_a_wrong_token_without_showing_it(sandbox) -> None:  # type: ignore[no-untyped-def]
    profile = Profile("Local", ProfileKind.CLOUD, sandbox.fishjam_url, sandbox.vapi_base_url)
    wrong = "wrong-token-0123456789"
    wrong_key = "wrong-vapi-key-0123456789"
    check = await check_profile(profile, wrong, wrong_key)
    assert not check.fishjam_ok and not check.vapi_ok
    assert check.fishjam_text and check.vapi_text
    assert wrong not in check.fishjam_text and wrong_key not in check.vapi_text
