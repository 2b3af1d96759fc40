"""Connection profiles and their secrets.

``ProfileStore`` keeps the profiles (names, kinds, Fishjam ids, VAPI addresses, the port and
public address for VAPI's live events, the last one used) in profiles.json in the config
folder: never a secret. ``SecretStore`` keeps the management token, the VAPI key and the live
events' secret in the OS keyring; on a machine without one, in a file encrypted with a
passphrase asked once per start (secret_file.py), or in memory for this run only
(``persistent`` is then False, and the UI says so).
``check_profile`` tries a profile's credentials and says in words what works.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail
from keyring.backends.chainer import ChainerBackend

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.fishjam_gateway import FishjamGateway
from voicepanel.core.redact import REDACTOR
from voicepanel.core.vapi_events import public_url_problem
from voicepanel.core.vapi_gateway import VapiGateway
from voicepanel.core.wording import plural
from voicepanel.session.json_file import read_json, write_json
from voicepanel.session.paths import config_dir, data_dir
from voicepanel.session.secret_file import FILE_NAME as SECRET_FILE_NAME
from voicepanel.session.secret_file import EncryptedSecretFile

log = logging.getLogger(__name__)

SERVICE = "VoicePanel"
SANDBOX_PROFILE_NAME = "Sandbox"


class ProfileKind(Enum):
    SANDBOX = "sandbox"
    CLOUD = "cloud"


class SecretName(StrEnum):
    """The secrets a profile has; the value is the keyring key's suffix."""

    MANAGEMENT_TOKEN = "management_token"
    VAPI_KEY = "vapi_key"
    EVENTS_SECRET = "events_secret"  # generated: VAPI sends it back with each live event


@dataclass(frozen=True)
class Profile:
    name: str
    kind: ProfileKind
    fishjam_id: str = ""  # a Fishjam id, or a full URL for a self-hosted server
    vapi_base_url: str | None = None  # None = the VAPI cloud
    last_used: float | None = None  # time.time() of the last connect
    events_port: int | None = None  # the local port VAPI's live events arrive on, once chosen
    public_url: str | None = None  # a tunnel's address to that port (cloud only)

    @property
    def is_sandbox(self) -> bool:
        return self.kind is ProfileKind.SANDBOX


SANDBOX_PROFILE = Profile(name=SANDBOX_PROFILE_NAME, kind=ProfileKind.SANDBOX)
"""The built-in profile: the in-process sandbox, no account needed."""


# -- secrets -------------------------------------------------------------------------------


# Backends that keep secrets in a file of their own: keyrings.cryptfile's would ask for its
# passphrase on a terminal nobody watches, its plaintext one is plain text. The encrypted
# file is offered through EncryptedSecretFile instead, with a dialog.
_FILE_BACKEND_MODULES = ("keyrings.cryptfile", "keyrings.alt")


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring) or type(backend).__module__.startswith(
        _FILE_BACKEND_MODULES
    ):
        return False
    try:
        return float(backend.priority) > 0
    except Exception:
        return False


def _os_keyring(candidate: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend | None:
    """The OS keyring behind what `keyring` chose, or None. Without a keyring service,
    `keyring` chains whatever backends are installed, file ones included."""
    if isinstance(candidate, ChainerBackend):
        usable = [b for b in candidate.backends if _usable(b)]
        return max(usable, key=lambda b: float(b.priority)) if usable else None
    return candidate if _usable(candidate) else None


class SecretMode(Enum):
    """Where secrets are kept: the OS keyring, a passphrase-encrypted file, or memory."""

    KEYRING = "the system keyring"
    ENCRYPTED_FILE = "a file encrypted with your passphrase"
    THIS_RUN = "memory, for this run only"


class SecretStore:
    """Secrets under service "VoicePanel", key "<profile>:<name>". In the OS keyring when
    there is one; otherwise in an encrypted file once the person has unlocked (or created)
    it with a passphrase; otherwise in memory for this run only. Never in plain text."""

    def __init__(
        self,
        backend: keyring.backend.KeyringBackend | None = None,
        secret_file: Path | None = None,
    ) -> None:
        self._memory: dict[str, str] = {}  # this run's secrets, and the decrypted file's
        self._backend: keyring.backend.KeyringBackend | None = None
        try:
            candidate = backend if backend is not None else keyring.get_keyring()
        except Exception as exc:
            log.warning("No keyring: secrets are kept for this run only (%s)", exc)
            candidate = None
        if candidate is not None:
            self._backend = _os_keyring(candidate)
        self.file = EncryptedSecretFile(secret_file or data_dir() / SECRET_FILE_NAME, SERVICE)
        self.reason = "" if self._backend else "No usable keyring on this machine."

    @property
    def mode(self) -> SecretMode:
        if self._backend is not None:
            return SecretMode.KEYRING
        return SecretMode.ENCRYPTED_FILE if self.file.unlocked else SecretMode.THIS_RUN

    @property
    def persistent(self) -> bool:
        """True when secrets outlive this run (the OS keyring, or the unlocked file)."""
        return self.mode is not SecretMode.THIS_RUN

    @property
    def file_locked(self) -> bool:
        """True when the secrets are in an encrypted file still waiting for its passphrase."""
        return self._backend is None and self.file.exists and not self.file.unlocked

    @property
    def backend_name(self) -> str:
        if self.mode is SecretMode.KEYRING:
            return getattr(self._backend, "name", type(self._backend).__name__)
        return self.mode.value

    @staticmethod
    def key(profile: str, name: str) -> str:
        return f"{profile}:{name}"

    def unlock_file(self, passphrase: str, profiles: Iterable[str]) -> None:
        """Opens the encrypted file (slow: run it off the UI thread) and reads the secrets
        of ``profiles``; what this run already holds is written into it. Raises
        VoicePanelError for a wrong passphrase."""
        found = self.file.unlock(passphrase, [self.key(p, n) for p in profiles for n in SecretName])
        for value in found.values():
            REDACTOR.add(value)
        self._keep_in_file(found)

    def create_file(self, passphrase: str) -> None:
        """Starts the encrypted file and moves this run's secrets into it (slow)."""
        self.file.create(passphrase)
        self._keep_in_file({})

    def _keep_in_file(self, found: dict[str, str]) -> None:
        # Secrets typed this run, before the file was opened, win over its older ones.
        merged = {**found, **self._memory}
        for key, value in merged.items():
            if found.get(key) != value:
                self.file.write(key, value)
        self._memory = merged

    def _fall_back(self, exc: BaseException) -> None:
        # A keyring that fails once (locked, daemon gone) is not retried for this run.
        log.warning("The keyring failed; secrets are kept for this run only: %s", exc)
        self.reason = "The keyring failed; secrets are kept for this run only."
        self._backend = None

    def get(self, profile: str, name: str) -> str | None:
        key = self.key(profile, name)
        value: str | None = self._memory.get(key)
        if value is None and self._backend is not None:
            try:
                value = self._backend.get_password(SERVICE, key)
            except (keyring.errors.KeyringError, OSError) as exc:
                self._fall_back(exc)
        if value:
            REDACTOR.add(value)
        return value or None

    def set(self, profile: str, name: str, value: str) -> None:
        """Stores a secret; an empty value deletes it."""
        if not value:
            self.delete(profile, name)
            return
        REDACTOR.add(value)
        key = self.key(profile, name)
        if self._backend is not None:
            try:
                self._backend.set_password(SERVICE, key, value)
                self._memory.pop(key, None)
                return
            except (keyring.errors.KeyringError, OSError) as exc:
                self._fall_back(exc)
        self._memory[key] = value
        if self.file.unlocked:
            try:
                self.file.write(key, value)
            except (VoicePanelError, OSError) as exc:
                log.warning("Could not write the secrets file; kept for this run: %s", exc)

    def delete(self, profile: str, name: str) -> None:
        key = self.key(profile, name)
        self._memory.pop(key, None)
        if self.file.unlocked:
            try:
                self.file.erase(key)
            except (VoicePanelError, OSError) as exc:
                log.warning("Could not update the secrets file: %s", exc)
        if self._backend is not None:
            try:
                self._backend.delete_password(SERVICE, key)
            except keyring.errors.PasswordDeleteError:
                pass  # nothing stored: already the wanted state
            except (keyring.errors.KeyringError, OSError) as exc:
                self._fall_back(exc)

    def delete_profile(self, profile: str) -> None:
        for name in SecretName:
            self.delete(profile, name)


# -- profiles ------------------------------------------------------------------------------


def _profile_to_json(p: Profile) -> dict[str, Any]:
    return {
        "name": p.name,
        "kind": p.kind.value,
        "fishjam_id": p.fishjam_id,
        "vapi_base_url": p.vapi_base_url,
        "last_used": p.last_used,
        "events_port": p.events_port,
        "public_url": p.public_url,
    }


def _profile_from_json(d: dict[str, Any]) -> Profile:
    last_used = d.get("last_used")
    port = d.get("events_port")
    return Profile(
        name=str(d["name"]),
        kind=ProfileKind(d.get("kind", ProfileKind.CLOUD.value)),
        fishjam_id=str(d.get("fishjam_id") or ""),
        vapi_base_url=d.get("vapi_base_url") or None,
        last_used=float(last_used) if isinstance(last_used, int | float) else None,
        events_port=port if isinstance(port, int) and 0 < port < 65536 else None,
        public_url=d.get("public_url") or None,
    )


class ProfileStore:
    """The saved profiles, with the built-in Sandbox always first and never deletable."""

    FILE_NAME = "profiles.json"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else config_dir() / self.FILE_NAME
        self._profiles: dict[str, Profile] = {SANDBOX_PROFILE_NAME: SANDBOX_PROFILE}
        self._last_used: str = SANDBOX_PROFILE_NAME
        self._load()

    def _load(self) -> None:
        data = read_json(self.path)
        if data is None:
            return  # no file yet, or unreadable (logged): the Sandbox profile only
        for item in data.get("profiles", []) if isinstance(data, dict) else []:
            try:
                profile = _profile_from_json(item)
            except (KeyError, ValueError, TypeError):
                log.warning("Skipped an unreadable profile in %s", self.path)
                continue
            if profile.name == SANDBOX_PROFILE_NAME:
                # The built-in keeps its kind; only its last-used time and port are remembered.
                profile = replace(
                    SANDBOX_PROFILE, last_used=profile.last_used, events_port=profile.events_port
                )
            self._profiles[profile.name] = profile
        last = data.get("last_used") if isinstance(data, dict) else None
        if isinstance(last, str) and last in self._profiles:
            self._last_used = last

    def _save(self) -> None:
        data = {
            "version": 1,
            "last_used": self._last_used,
            "profiles": [_profile_to_json(p) for p in self._profiles.values()],
        }
        write_json(self.path, data)

    def profiles(self) -> list[Profile]:
        """Sandbox first, then the others by name."""
        others = sorted(
            (p for p in self._profiles.values() if not p.is_sandbox), key=lambda p: p.name.lower()
        )
        return [self._profiles[SANDBOX_PROFILE_NAME], *others]

    def names(self) -> list[str]:
        return [p.name for p in self.profiles()]

    def get(self, name: str) -> Profile | None:
        return self._profiles.get(name)

    def save(self, profile: Profile) -> Profile:
        """Adds or replaces a profile by name (the built-in Sandbox cannot be changed)."""
        name = profile.name.strip()
        if not name:
            raise VoicePanelError("The profile needs a name.", "Type a name for the profile.")
        if name == SANDBOX_PROFILE_NAME or profile.is_sandbox:
            raise VoicePanelError(
                f'"{SANDBOX_PROFILE_NAME}" is the built-in profile and cannot be changed.',
                "Choose another name for your profile.",
            )
        if profile.kind is ProfileKind.CLOUD and not profile.fishjam_id.strip():
            raise VoicePanelError(
                "The profile needs a Fishjam ID.",
                "Copy it from the Fishjam dashboard, or enter the server's full address.",
            )
        public_url = (profile.public_url or "").strip() or None
        if public_url and (problem := public_url_problem(public_url)):
            raise VoicePanelError("The public address for live events is not usable.", problem)
        profile = replace(
            profile,
            name=name,
            fishjam_id=profile.fishjam_id.strip(),
            vapi_base_url=(profile.vapi_base_url or "").strip() or None,
            public_url=public_url,
        )
        self._profiles[name] = profile
        self._save()
        return profile

    def delete(self, name: str, secrets: SecretStore | None = None) -> None:
        """Removes a profile, and its secrets when given the store."""
        if name == SANDBOX_PROFILE_NAME:
            raise VoicePanelError(
                "The Sandbox profile is built in and cannot be deleted.",
                "Delete one of your own profiles instead.",
            )
        if self._profiles.pop(name, None) is None:
            return
        if secrets is not None:
            secrets.delete_profile(name)
        if self._last_used == name:
            self._last_used = SANDBOX_PROFILE_NAME
        self._save()

    def remember_events_port(self, name: str, port: int) -> Profile | None:
        """Keeps the port a profile's live events arrived on, so a tunnel pointed at it
        keeps working next time (the built-in Sandbox too)."""
        profile = self._profiles.get(name)
        if profile is None or profile.events_port == port:
            return profile
        profile = replace(profile, events_port=port)
        self._profiles[name] = profile
        try:
            self._save()
        except OSError as exc:
            log.warning("Could not remember the live events port of %s: %s", name, exc)
        return profile

    @property
    def last_used(self) -> Profile:
        """The profile used last, or the Sandbox on a first start."""
        return self._profiles.get(self._last_used, self._profiles[SANDBOX_PROFILE_NAME])

    def mark_used(self, name: str) -> Profile:
        """Records that ``name`` was just connected; it opens first next time."""
        profile = self._profiles.get(name)
        if profile is None:
            raise VoicePanelError(f'There is no profile named "{name}".', "Pick one from the list.")
        profile = replace(profile, last_used=time.time())
        self._profiles[name] = profile
        self._last_used = name
        self._save()
        return profile


# -- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileCheck:
    """What works in a profile, in sentences a person can read."""

    fishjam_ok: bool
    fishjam_text: str
    vapi_ok: bool
    vapi_text: str

    @property
    def ok(self) -> bool:
        return self.fishjam_ok and self.vapi_ok


def _error_text(exc: VoicePanelError) -> str:
    return REDACTOR.redact(f"{exc.message} {exc.hint}".strip())


async def _check_fishjam(fishjam_id: str, token: str) -> tuple[bool, str]:
    if not fishjam_id:
        return False, "No Fishjam ID: enter it from the Fishjam dashboard."
    if not token:
        return False, "No management token: paste it from the Fishjam dashboard."
    gateway = FishjamGateway(fishjam_id, token)
    try:
        await gateway.check_credentials()
        rooms = await gateway.list_rooms()
    except VoicePanelError as exc:
        return False, _error_text(exc)
    finally:
        await gateway.close()
    return True, f"Fishjam answers and accepts the token ({plural(len(rooms), 'room')} now)."


async def _check_vapi(base_url: str | None, key: str) -> tuple[bool, str]:
    if not key:
        return False, "No VAPI key: assistants cannot be added to rooms until you enter one."
    gateway = VapiGateway(key, base_url)
    try:
        assistants = await gateway.list_assistants()
    except VoicePanelError as exc:
        return False, _error_text(exc)
    finally:
        await gateway.close()
    return True, f"VAPI accepts the key ({plural(len(assistants), 'assistant')} found)."


async def check_profile(profile: Profile, management_token: str, vapi_key: str) -> ProfileCheck:
    """Tries the Fishjam token (credentials and a room listing) and the VAPI key (listing
    assistants), both at once; never raises for a failed check, only says why."""
    if profile.is_sandbox:
        text = "The built-in sandbox runs inside the app and needs no account."
        return ProfileCheck(True, text, True, text)
    REDACTOR.add(management_token)
    REDACTOR.add(vapi_key)
    (fj_ok, fj_text), (vapi_ok, vapi_text) = await asyncio.gather(
        _check_fishjam(profile.fishjam_id, management_token),
        _check_vapi(profile.vapi_base_url, vapi_key),
    )
    return ProfileCheck(fj_ok, fj_text, vapi_ok, vapi_text)
