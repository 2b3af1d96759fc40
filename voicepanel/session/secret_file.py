"""Secrets on a machine without a keyring service: a file encrypted with a passphrase the
person types once per start (never stored). The encryption is keyrings.cryptfile's:
Argon2id derives a key from the passphrase, AES-GCM encrypts and authenticates each
secret; the file holds no secret in plain text and is readable by its owner only.

Deriving the key is deliberately slow (tenths of a second), so callers run ``unlock``,
``create``, ``write`` and ``erase`` off the UI thread, and keep what ``unlock`` returned.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path

from keyring.errors import PasswordDeleteError
from keyrings.cryptfile.cryptfile import CryptFileKeyring

from voicepanel.core.errors import VoicePanelError

log = logging.getLogger(__name__)

FILE_NAME = "secrets.cfg"
# Argon2id cost: 64 MiB and 3 passes (above OWASP's 19 MiB, 2 passes), about 0.1 s per
# secret on a laptop. The file does not record these: changing them makes old files
# unreadable, so they are fixed here for good.
TIME_COST = 3
MEMORY_COST_KIB = 2**16
PARALLELISM = 2


def _wrong_passphrase(cause: BaseException | None = None) -> VoicePanelError:
    return VoicePanelError(
        "That passphrase does not open the secrets file.",
        "Type it again (it is case-sensitive), or choose This run only.",
        cause=cause,
    )


class EncryptedSecretFile:
    """One encrypted file of secrets under a service name; locked until ``unlock``."""

    def __init__(self, path: Path, service: str) -> None:
        self.path = path
        self._service = service
        self._ring: CryptFileKeyring | None = None

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def unlocked(self) -> bool:
        return self._ring is not None

    def _open(self, passphrase: str) -> CryptFileKeyring:
        if not passphrase.strip():
            raise VoicePanelError("The passphrase is empty.", "Type a passphrase.")
        ring = CryptFileKeyring()
        ring.time_cost, ring.memory_cost, ring.parallelism = (
            TIME_COST,
            MEMORY_COST_KIB,
            PARALLELISM,
        )
        ring.file_path = str(self.path)
        try:
            # Setting the key checks it against the file's reference value, or starts a
            # new file with one.
            ring.keyring_key = passphrase
        except ValueError as exc:  # a failed AES-GCM check: another passphrase
            raise _wrong_passphrase(exc) from exc
        except OSError as exc:
            raise VoicePanelError(
                "Could not open the secrets file.",
                f"{exc.strerror or exc} ({self.path}).",
                cause=exc,
            ) from exc
        return ring

    def create(self, passphrase: str) -> None:
        """Starts a new file locked with ``passphrase`` (an existing one is kept)."""
        if self.exists:
            raise VoicePanelError(
                "There already is an encrypted secrets file.", "Unlock it with its passphrase."
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._ring = self._open(passphrase)

    def unlock(self, passphrase: str, keys: Iterable[str]) -> dict[str, str]:
        """Opens the file and returns the secrets stored under ``keys``."""
        ring = self._open(passphrase)
        found: dict[str, str] = {}
        try:
            for key in keys:
                value = ring.get_password(self._service, key)
                if value:
                    found[key] = value
        except ValueError as exc:
            raise _wrong_passphrase(exc) from exc
        self._ring = ring
        return found

    def write(self, key: str, value: str) -> None:
        self._require().set_password(self._service, key, value)

    def erase(self, key: str) -> None:
        # Nothing stored is already the wanted state.
        with contextlib.suppress(PasswordDeleteError):
            self._require().delete_password(self._service, key)

    def _require(self) -> CryptFileKeyring:
        if self._ring is None:
            raise VoicePanelError("The secrets file is locked.", "Unlock it first.")
        return self._ring
