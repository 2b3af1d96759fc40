"""Profiles in the panel: a wrong token is explained in words, never as a traceback."""

from __future__ import annotations

from typing import Any

from panel_helpers import find_top, until
from PySide6.QtWidgets import QWidget

from voicepanel.session.profiles import SecretName
from voicepanel.ui.dialogs.profiles import ProfilesDialog


def _all_text(widget: QWidget) -> str:
    from PySide6.QtWidgets import QLabel

    return "\n".join(label.text() for label in widget.findChildren(QLabel))


async def _open_profiles(panel: Any) -> ProfilesDialog:
    panel.act_profiles.trigger()
    return await until(lambda: find_top(ProfilesDialog), what="the profiles dialog")


async def test_a_wrong_token_is_explained_and_shows_no_traceback(
    panel: Any, threaded_sandbox: Any
) -> None:
    # Another server than the panel's own sandbox, which switching profiles stops.
    sandbox_url = threaded_sandbox.fishjam_url
    dialog = await _open_profiles(panel)
    dialog.add_profile()
    dialog.name.setText("Wrong token")
    dialog.fishjam_id.setText(sandbox_url)
    dialog.token.setText("definitely-not-the-token")
    assert dialog.revalidate()

    dialog.check_button.click()
    await until(lambda: "Fishjam:" in dialog.check_result.text(), 20, "the check result")
    result = dialog.check_result.text()
    assert "✘" in result and "token" in result.lower()
    assert "Traceback" not in _all_text(dialog)
    assert "definitely-not-the-token" not in result

    dialog.connect_button.click()
    await until(lambda: panel.banner.isVisible() and panel.banner.text, 20, "the failure")
    text = panel.banner.text
    assert "token" in text.lower()
    assert "Traceback" not in text and "Error:" not in text
    assert "definitely-not-the-token" not in text
    assert "definitely-not-the-token" not in panel.windowTitle()
    assert panel.host.workspace is None
    assert panel.profiles.get("Wrong token") is not None


async def test_saving_a_profile_says_when_secrets_last_only_this_run(panel: Any) -> None:
    dialog = await _open_profiles(panel)
    assert not panel.secrets.persistent  # the test keyring is the failing backend
    dialog.add_profile()
    dialog.name.setText("Staging")
    dialog.fishjam_id.setText("abc123")
    dialog.token.setText("staging-management-token")
    assert "this run only" in dialog.keyring_note.text()
    dialog.save_button.click()
    assert "this run only" in dialog.banner.text
    assert panel.secrets.get("Staging", SecretName.MANAGEMENT_TOKEN) == "staging-management-token"
    profiles_file = panel.profiles.path.read_text()
    assert "staging-management-token" not in profiles_file
    dialog.reject()


async def test_the_profile_form_explains_what_is_missing(panel: Any) -> None:
    dialog = await _open_profiles(panel)
    dialog.add_profile()
    assert not dialog.connect_button.isEnabled()
    assert "name" in dialog.field_error.text()
    dialog.name.setText("Sandbox")
    assert "built-in" in dialog.field_error.text()
    dialog.name.setText("Cloud")
    dialog.fishjam_id.setText("ftp://x")
    assert "http" in dialog.field_error.text()
    dialog.fishjam_id.setText("abc123")
    assert dialog.connect_button.isEnabled()
    dialog.reject()


async def test_the_toolbar_switches_to_a_cloud_profile_and_back(
    panel: Any, threaded_sandbox: Any
) -> None:
    from voicepanel.session.profiles import Profile, ProfileKind

    cloud = Profile("Staging", ProfileKind.CLOUD, fishjam_id=threaded_sandbox.fishjam_url)
    panel.profiles.save(cloud)
    panel.secrets.set("Staging", SecretName.MANAGEMENT_TOKEN, threaded_sandbox.config.token)
    panel.reload_profiles()
    await threaded_sandbox_room(threaded_sandbox)

    panel.profile_box.activated.emit(panel.profile_box.findData("Staging"))
    await until(
        lambda: panel.host.workspace is not None and panel.host.workspace.profile.name == "Staging",
        20,
        "the Staging workspace",
    )
    assert panel.windowTitle() == "VoicePanel — Staging"
    assert not panel.sandbox_badge_action.isVisible()
    await until(lambda: panel.tree_model.rowCount() == 1, what="the cloud profile's room")

    panel.profile_box.activated.emit(panel.profile_box.findData("Sandbox"))
    await until(
        lambda: panel.host.workspace is not None and panel.host.workspace.profile.is_sandbox,
        20,
        "the sandbox again",
    )
    assert panel.sandbox_badge_action.isVisible()
    assert panel.profiles.last_used.name == "Sandbox"


async def threaded_sandbox_room(sandbox: Any) -> None:
    import asyncio

    from voicepanel.core.fishjam_gateway import FishjamGateway, RoomSpec

    gateway = FishjamGateway(sandbox.fishjam_url, sandbox.config.token)
    await gateway.create_room(RoomSpec())
    await asyncio.sleep(0)


async def test_a_profile_open_in_a_window_is_neither_deleted_nor_renamed(
    panel: Any, threaded_sandbox: Any
) -> None:
    """Its calls, journal, ledger and names are filed under its name: deleting or renaming
    it under the window that has it open would orphan them."""
    from voicepanel.session.profiles import Profile, ProfileKind

    for name in ("Staging", "Spare"):
        panel.profiles.save(
            Profile(name, ProfileKind.CLOUD, fishjam_id=threaded_sandbox.fishjam_url)
        )
        panel.secrets.set(name, SecretName.MANAGEMENT_TOKEN, threaded_sandbox.config.token)
    panel.reload_profiles()
    panel.profile_box.activated.emit(panel.profile_box.findData("Staging"))
    await until(
        lambda: panel.host.workspace is not None and panel.host.workspace.profile.name == "Staging",
        20,
        "the Staging workspace",
    )

    dialog = await _open_profiles(panel)
    dialog._fill_list("Staging")
    assert not dialog.delete_button.isEnabled()
    assert "open in a window" in dialog.delete_button.toolTip()
    dialog.name.setText("Production")
    dialog.save_button.click()
    assert "keeps its name" in dialog.banner.text
    assert panel.profiles.get("Staging") is not None and panel.profiles.get("Production") is None

    dialog._fill_list("Spare")  # not open anywhere: both work
    assert dialog.delete_button.isEnabled()
    dialog.name.setText("Spare two")
    dialog.save_button.click()
    assert panel.profiles.get("Spare two") is not None and panel.profiles.get("Spare") is None
    dialog._fill_list("Spare two")
    dialog.delete_button.click()
    assert panel.profiles.get("Spare two") is None
    dialog.reject()
