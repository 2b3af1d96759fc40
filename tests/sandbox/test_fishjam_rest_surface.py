"""The rest of the REST surface the Python SDK offers, through the real `fishjam.FishjamClient`:
livestream tokens, MoQ access, recordings and track forwarding (token/shape only: no media).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from urllib.parse import parse_qs, urlparse

import pytest
from fishjam import FishjamClient, RoomOptions
from fishjam.errors import BadRequestError, ConflictError, NotFoundError, UnauthorizedError
from fishjam.recording import CompositionSource, RecordingStatus, TemplateSource
from fishjam_helpers import NotificationLog

from voicepanel.sandbox.server import Sandbox

run = asyncio.to_thread
COMPOSITION = "http://127.0.0.1:9/api/composition/comp-1"


@pytest.mark.parametrize("room_type", ["livestream", "audio_only_livestream"])
async def test_a_livestream_room_gives_viewer_and_streamer_tokens(
    fishjam_client: FishjamClient, room_type: str
) -> None:
    room = await run(fishjam_client.create_room, RoomOptions(room_type=room_type))
    viewer = await run(fishjam_client.create_livestream_viewer_token, room.id)
    streamer = await run(fishjam_client.create_livestream_streamer_token, room.id)
    assert isinstance(viewer, str) and isinstance(streamer, str) and viewer != streamer


async def test_livestream_tokens_are_refused_for_other_rooms_and_unknown_ones(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    with pytest.raises(BadRequestError, match="livestream"):
        await run(fishjam_client.create_livestream_viewer_token, room.id)
    with pytest.raises(BadRequestError, match="livestream"):
        await run(fishjam_client.create_livestream_streamer_token, room.id)
    with pytest.raises(NotFoundError):
        await run(fishjam_client.create_livestream_viewer_token, "no-such-room")


async def test_moq_access_is_a_jwt_carried_in_the_connection_url(
    fishjam_client: FishjamClient,
) -> None:
    access = await run(fishjam_client.create_moq_access, "my-stream", None, 120)
    assert parse_qs(urlparse(access.connection_url).query)["jwt"] == [access.token]
    payload = access.token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["publish"] == "my-stream" and "subscribe" not in claims
    assert abs(claims["exp"] - time.time() - 120) < 60


@pytest.mark.parametrize("ttl", [0, 604801])
async def test_moq_access_refuses_a_lifetime_out_of_range(
    fishjam_client: FishjamClient, ttl: int
) -> None:
    with pytest.raises(BadRequestError, match="ttl"):
        await run(fishjam_client.create_moq_access, "p", None, ttl)


async def test_a_recording_goes_active_then_finished_and_says_so_on_the_notifier(
    fishjam_client: FishjamClient, fishjam_notifications: NotificationLog
) -> None:
    source = CompositionSource(composition_url=COMPOSITION, output_id="out-1")
    recording = await run(fishjam_client.create_composition_recording, source, {"session": "s1"})
    assert recording.status == RecordingStatus.ACTIVE and recording.files == []
    assert recording.source == source
    await fishjam_notifications.wait_kind("RecordingStatusChanged", recording_id=recording.id)

    with pytest.raises(ConflictError):
        await run(fishjam_client.delete_recording, recording.id)
    stopped = await run(fishjam_client.stop_recording, recording.id)
    assert stopped.status == RecordingStatus.ACTIVE  # finalising takes a moment, as on the cloud
    finished = await fishjam_notifications.wait_for(
        lambda n: getattr(n, "recording_id", None) == recording.id and n.status == 2
    )
    assert json.loads(finished.metadata) == {"session": "s1"}
    got = await run(fishjam_client.get_recording, recording.id)
    assert got.status == RecordingStatus.FINISHED

    await run(fishjam_client.delete_recording, recording.id)
    with pytest.raises(NotFoundError):
        await run(fishjam_client.get_recording, recording.id)
    await run(fishjam_client.delete_recording, recording.id)  # unknown: nothing to do


async def test_recordings_are_listed_by_metadata_and_status(fishjam_client: FishjamClient) -> None:
    source = CompositionSource(composition_url=COMPOSITION, output_id="out-1")
    prod = await run(
        fishjam_client.create_composition_recording, source, {"env": "prod", "a": {"b": 1}}
    )
    test = await run(fishjam_client.create_composition_recording, source, {"env": "test"})

    def ids(recordings: list) -> set[str]:
        return {r.id for r in recordings}

    assert ids(await run(fishjam_client.get_all_recordings)) >= {prod.id, test.id}
    assert ids(await run(fishjam_client.get_all_recordings, {"env": "prod"})) == {prod.id}
    assert ids(await run(fishjam_client.get_all_recordings, {"a": {"b": 1}})) == {prod.id}
    assert ids(await run(fishjam_client.get_all_recordings, {"env": None})) == set()


async def test_a_template_recording_sends_its_bundle_as_multipart(
    fishjam_client: FishjamClient,
) -> None:
    source = TemplateSource(composition_url=COMPOSITION)
    recording = await run(
        fishjam_client.create_template_recording, source, b"export default () => null;"
    )
    assert recording.status == RecordingStatus.ACTIVE
    assert recording.source.composition_url == COMPOSITION
    with pytest.raises(BadRequestError, match="template"):
        await run(fishjam_client.create_template_recording, source, b"")


async def test_recordings_need_the_management_token(sandbox: Sandbox) -> None:
    with pytest.raises(UnauthorizedError):
        await run(FishjamClient(sandbox.fishjam_url, "wrong").get_all_recordings)


async def test_forwarding_a_rooms_tracks_shows_the_composition_on_the_room(
    fishjam_client: FishjamClient,
) -> None:
    room = await run(fishjam_client.create_room)
    assert room.composition_info is None
    await run(fishjam_client.forward_room_tracks, room.id, COMPOSITION)
    info = (await run(fishjam_client.get_room, room.id)).composition_info
    assert info is not None and info.composition_url == COMPOSITION and info.forwardings == []
    with pytest.raises(ConflictError):
        await run(fishjam_client.forward_room_tracks, room.id, COMPOSITION)
    with pytest.raises(NotFoundError):
        await run(fishjam_client.forward_room_tracks, "no-such-room", COMPOSITION)
