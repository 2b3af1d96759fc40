"""The status bar's notifier light follows the connection: Live, Reconnecting, Live again."""

from __future__ import annotations

from typing import Any

from panel_helpers import until

from voicepanel.sandbox.server import Sandbox, SandboxConfig


async def test_the_indicator_shows_reconnecting_then_live_when_the_server_comes_back(
    panel: Any,
) -> None:
    indicator = panel.notifier
    await until(lambda: indicator.state == "LIVE", what="Live at start")
    assert "Live" in indicator.label.text()

    sandbox = panel.host.workspace.sandbox
    port = int(sandbox.fishjam_url.rsplit(":", 1)[1])
    await sandbox.stop()
    await until(lambda: indicator.state == "RETRYING", 15, "Reconnecting")
    assert "Reconnecting" in indicator.label.text()
    assert indicator.reconnect_button.isVisibleTo(indicator)

    revived = Sandbox(SandboxConfig(port=port))
    await revived.start()
    try:
        indicator.reconnect_button.click()  # skip the back-off wait
        await until(lambda: indicator.state == "LIVE", 20, "Live again")
        assert indicator.label.text() == "Notifications: Live"
        assert not indicator.reconnect_button.isVisibleTo(indicator)
    finally:
        await revived.stop()


def test_the_countdown_counts_down_in_whole_seconds(qtbot: Any) -> None:
    import time

    from voicepanel.core.notifier import NotifierState, NotifierStatus
    from voicepanel.ui.notifier_indicator import NotifierIndicator

    indicator = NotifierIndicator(lambda: None)
    qtbot.addWidget(indicator)
    indicator.set_status(
        NotifierStatus(NotifierState.RETRYING, retry_in_s=4.2, retry_at=time.monotonic() + 4.2)
    )
    assert indicator.label.text() == "Notifications: Reconnecting in 5 s"
    indicator.set_status(
        NotifierStatus(NotifierState.FAILED, reason="The management token was refused.")
    )
    assert "Failed: The management token was refused." in indicator.label.text()
