"""`voicepanel --sandbox --smoke-test`: proof that an installed VoicePanel works.

The installer's smoke test (tests/packaging/test_deb.py) starts the installed app with this
flag: the window opens on the built-in sandbox, then this routine creates a room through
the Workspace, as the "New room" action does, checks the room tree shows it, deletes it,
checks the offline speech engine the sandbox's assistants talk with loads from the bundle,
and prints one line the test reads, ``SMOKE OK <room id>``; the app then quits as usual.

Qt-free on purpose: app.py calls it with the Workspace the window opened and whether the
window is visible.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from voicepanel.speech import synthesize_async

if TYPE_CHECKING:
    from voicepanel.session.workspace import Workspace

SMOKE_OK = "SMOKE OK"
SMOKE_FAIL = "SMOKE FAIL"


async def smoke_test(workspace: Workspace | None, window_visible: bool) -> int:
    """Exit code 0 and ``SMOKE OK <room id>`` on stdout when all went well."""
    if not window_visible:
        print(f"{SMOKE_FAIL} the window is not visible", flush=True)
        return 1
    if workspace is None:
        print(f"{SMOKE_FAIL} the profile did not open", flush=True)
        return 1
    try:
        room = await workspace.create_room()
        if room.id not in workspace.tree.rooms:
            print(f"{SMOKE_FAIL} room {room.id} is not in the room tree", flush=True)
            return 1
        await workspace.delete_room(room.id)
        if not await synthesize_async("Smoke test.", 16000):
            print(f"{SMOKE_FAIL} the speech engine said nothing", flush=True)
            return 1
    except Exception as error:  # noqa: BLE001 - reported as one line, the test shows it
        print(f"{SMOKE_FAIL} {type(error).__name__}: {error}", flush=True)
        return 1
    print(f"{SMOKE_OK} {room.id}", flush=True)
    sys.stdout.flush()
    return 0
