"""The workspace a scenario runs in, from the command line: the built-in sandbox, a sandbox
already running elsewhere (load tests share one), or a saved profile."""

from __future__ import annotations

from dataclasses import dataclass

from voicepanel.core.errors import VoicePanelError
from voicepanel.session.paths import data_dir
from voicepanel.session.profiles import SANDBOX_PROFILE, ProfileStore, SecretStore
from voicepanel.session.workspace import Workspace

SANDBOX_TOKEN = "sandbox-management-token"  # the sandbox's defaults (voicepanel-sandbox --help)
SANDBOX_VAPI_KEY = "sandbox-vapi-key"


@dataclass
class _Keys:
    token: str
    vapi_key: str


class RunningSandbox:
    """A sandbox started by someone else (``voicepanel-sandbox``), reached at ``url``: the
    workspace uses it as its own but neither starts nor stops it."""

    def __init__(
        self, url: str, token: str = SANDBOX_TOKEN, vapi_key: str = SANDBOX_VAPI_KEY
    ) -> None:
        self.fishjam_url = url.rstrip("/")
        self.vapi_base_url = self.fishjam_url + "/vapi"
        self.config = _Keys(token, vapi_key)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def workspace_for(profile: str | None, sandbox_url: str | None = None) -> Workspace:
    """A workspace (not yet open) on ``profile``; None is the sandox, built in or at
    ``sandbox_url``. Raises VoicePanelError for a profile that does not exist."""
    secrets = SecretStore()
    if profile is None or profile == SANDBOX_PROFILE.name:
        given = RunningSandbox(sandbox_url) if sandbox_url else None
        return Workspace(SANDBOX_PROFILE, secrets, data_dir(), sandbox=given)
    store = ProfileStore()
    found = store.get(profile)
    if found is None:
        names = ", ".join(n for n in store.names()) or "none yet"
        raise VoicePanelError(
            f'There is no profile named "{profile}".',
            f"Saved profiles: {names}. Create one in the window (Profiles), or use --sandbox.",
        )
    return Workspace(found, secrets, data_dir())


async def open_workspace(profile: str | None, sandbox_url: str | None = None) -> Workspace:
    """``workspace_for``, opened; raises VoicePanelError when it cannot connect."""
    workspace = workspace_for(profile, sandbox_url)
    await workspace.open()
    if not workspace.has_vapi:
        await workspace.close()
        raise VoicePanelError(
            f'The profile "{workspace.profile.name}" has no VAPI key, so no assistant can run.',
            "Add the VAPI private key to the profile.",
        )
    return workspace
