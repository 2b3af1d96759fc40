"""Every exception family the SDKs raise becomes a sentence a person can act on.

The SDK exceptions are constructed directly: each one stands for a fault the server or
the network produced.
"""

from __future__ import annotations

import json

import aiohttp
import httpx
import pydantic
import pytest
from fishjam import errors as fj
from fishjam.agent.errors import AgentAuthError
from vapi.core.api_error import ApiError
from vapi.errors import BadRequestError as VapiBadRequest
from vapi.errors import NotFoundError as VapiNotFound
from vapi.errors import UnauthorizedError as VapiUnauthorized
from websockets import exceptions as ws_errors
from websockets.frames import Close
from yarl import URL as URL_

from voicepanel.core.errors import VoicePanelError
from voicepanel.core.errors_map import (
    FishjamContext,
    VapiContext,
    fishjam_error,
    is_invalid_token,
    vapi_error,
)
from voicepanel.core.redact import REDACTOR

SECRET = "fj-secret-management-token-123456"
URL = "http://127.0.0.1:5002"


@pytest.fixture(autouse=True)
def _secret_registered() -> None:
    REDACTOR.add(SECRET)


def ctx(**kw: object) -> FishjamContext:
    return FishjamContext(action="Could not create the room.", url=URL, **kw)  # type: ignore[arg-type]


def vctx(**kw: object) -> VapiContext:
    return VapiContext(action="Could not start the VAPI call.", url=URL + "/vapi", **kw)  # type: ignore[arg-type]


def no_secret(err: VoicePanelError) -> None:
    assert SECRET not in err.message and SECRET not in err.hint
    assert SECRET not in str(err)


def test_wrong_token_says_which_setting_to_fix() -> None:
    err = fishjam_error(fj.UnauthorizedError(f"invalid token {SECRET}"), ctx())
    assert err.status == 401
    assert "Fishjam rejected the management token." in err.message
    assert err.message.startswith("Could not create the room.")
    assert "profile" in err.hint and "Fishjam dashboard" in err.hint
    no_secret(err)


def test_invalid_credentials_from_validate_read_like_a_wrong_token() -> None:
    err = fishjam_error(fj.InvalidFishjamCredentialsError("Invalid Fishjam credentials"), ctx())
    assert err.status == 401
    assert "management token" in err.message


def test_notifier_invalid_token_runtime_error_is_a_wrong_token() -> None:
    exc = RuntimeError("Invalid management token")
    assert is_invalid_token(exc)
    assert not is_invalid_token(RuntimeError("something else"))
    assert fishjam_error(exc, ctx()).status == 401


def test_missing_fishjam_id_points_to_the_profile() -> None:
    err = fishjam_error(fj.MissingFishjamIdError(), ctx())
    assert "No Fishjam ID" in err.message
    assert "Sandbox" in err.hint


def test_unknown_room_says_it_no_longer_exists() -> None:
    err = fishjam_error(fj.NotFoundError("Room abc does not exist"), ctx(room_id="abc"))
    assert err.status == 404
    assert "Room abc no longer exists." in err.message
    assert err.hint == "Refresh the room list."


def test_unknown_peer_names_peer_and_room() -> None:
    err = fishjam_error(fj.NotFoundError("Peer not found"), ctx(room_id="r1", peer_id="p1"))
    assert "Peer p1 is no longer in room r1." in err.message


def test_bad_request_carries_the_servers_text() -> None:
    err = fishjam_error(fj.BadRequestError("maxPeers must be a number"), ctx())
    assert err.status == 400
    assert "maxPeers must be a number." in err.message


@pytest.mark.parametrize("exc_type", [fj.ConflictError, fj.ServiceUnavailableError])
def test_full_room_says_max_peers_reached(exc_type: type[Exception]) -> None:
    err = fishjam_error(exc_type("Reached peer limit"), ctx(room_id="r", adds_peer=True))
    assert "The room is full (max peers reached)." in err.message
    assert err.status in (409, 503)


def test_unavailable_outside_adding_a_peer_is_not_room_full() -> None:
    err = fishjam_error(fj.ServiceUnavailableError("down"), ctx())
    assert "temporarily unavailable" in err.message


def test_quota_and_internal_errors_are_readable() -> None:
    assert "quota" in fishjam_error(fj.QuotaExceededError("x"), ctx()).message
    err = fishjam_error(fj.InternalServerError("boom"), ctx())
    assert "internal error" in err.message and "boom" in err.message
    assert "Try again" in err.hint


def test_stale_sdk_error_asks_to_update() -> None:
    err = fishjam_error(fj.StaleSdkError(99), ctx())
    assert "Update VoicePanel" in err.hint


def test_connection_refused_says_could_not_reach_the_address() -> None:
    exc = httpx.ConnectError("[Errno 111] Connection refused")
    err = fishjam_error(exc, ctx())
    assert f"Could not reach Fishjam at {URL}." in err.message
    assert "Sandbox profile" in err.hint
    assert err.__cause__ is exc


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), TimeoutError()],
)
def test_timeouts_say_no_answer_in_time(exc: Exception) -> None:
    assert "did not answer in time" in fishjam_error(exc, ctx()).message


def test_broken_http_connection_and_os_errors() -> None:
    assert "broke off" in fishjam_error(httpx.RemoteProtocolError("eof"), ctx()).message
    assert "Could not reach" in fishjam_error(OSError(101, "Network is unreachable"), ctx()).message
    assert "Could not reach" in fishjam_error(ConnectionRefusedError(), ctx()).message


def test_unparseable_answers_say_so() -> None:
    parse_errors: list[Exception] = [
        json.JSONDecodeError("Expecting value", "<html>", 0),
        KeyError("data"),
        TypeError("NoneType"),
    ]
    for exc in parse_errors:
        err = fishjam_error(exc, ctx())
        assert "could not read" in err.message


def test_pydantic_validation_error_maps_to_could_not_read() -> None:
    class Model(pydantic.BaseModel):
        x: int

    with pytest.raises(pydantic.ValidationError) as info:
        Model.model_validate({"x": "nope"})
    err = vapi_error(info.value, vctx())
    assert "VAPI sent an answer VoicePanel could not read" in err.message


def test_agent_auth_error_names_the_peer_token() -> None:
    err = fishjam_error(AgentAuthError("invalid token"), ctx())
    assert err.status == 401 and "agent's peer token" in err.message


def test_websocket_failures_are_readable() -> None:
    closed = ws_errors.ConnectionClosedError(Close(1011, "crash"), None)
    assert "live connection" in fishjam_error(closed, ctx()).message
    assert "not a valid URL" in fishjam_error(ws_errors.InvalidURI("x", "bad"), ctx()).message
    handshake = ws_errors.InvalidHandshake("nope")
    assert "WebSocket" in fishjam_error(handshake, ctx()).message


def test_unexpected_exceptions_still_read_as_sentences_without_secrets() -> None:
    err = fishjam_error(ZeroDivisionError(f"token {SECRET}"), ctx())
    assert err.message.startswith("Could not create the room. Something unexpected went wrong")
    no_secret(err)


def test_voicepanel_errors_pass_through() -> None:
    original = VoicePanelError("already readable", "do this")
    assert fishjam_error(original, ctx()) is original
    assert vapi_error(original, vctx()) is original


# --- VAPI -------------------------------------------------------------------------------


def test_wrong_vapi_key_says_which_setting_to_fix() -> None:
    err = vapi_error(VapiUnauthorized(body={"message": "Invalid Key. Hot tip..."}), vctx())
    assert err.status == 401
    assert "VAPI rejected the API key." in err.message
    assert "profile" in err.hint


def test_vapi_forbidden_is_also_a_key_problem() -> None:
    assert "API key" in vapi_error(ApiError(status_code=403, body="no"), vctx()).message


def test_vapi_bad_request_lists_the_servers_messages() -> None:
    body = {"message": ["assistant.model must be an object"], "error": "Bad Request"}
    err = vapi_error(VapiBadRequest(body=body), vctx())
    assert err.status == 400 and "assistant.model must be an object." in err.message


def test_vapi_unknown_call_says_it_no_longer_exists() -> None:
    err = vapi_error(VapiNotFound(body={"message": "Not Found"}), vctx(call_id="c-1"))
    assert err.status == 404 and "Call c-1 no longer exists" in err.message


@pytest.mark.parametrize(
    ("status", "words"),
    [(402, "credit"), (409, "conflict"), (429, "limiting"), (500, "server error"), (418, "418")],
)
def test_vapi_other_statuses(status: int, words: str) -> None:
    assert words in vapi_error(ApiError(status_code=status, body={}), vctx()).message


def test_vapi_api_error_without_status_is_unreadable_answer() -> None:
    err = vapi_error(ApiError(status_code=None, body="<html>"), vctx())
    assert "could not read" in err.message


def test_vapi_unreachable_says_could_not_reach() -> None:
    err = vapi_error(httpx.ConnectError("refused"), vctx())
    assert "Could not reach VAPI at" in err.message and "Sandbox" in err.hint


def test_control_url_refusing_a_command_on_an_ended_call() -> None:
    body = {"message": "Call c-3 has already ended (customer-ended-call)."}
    err = vapi_error(ApiError(status_code=409, body=body), vctx(call_id="c-3"))
    assert err.status == 409 and "Call c-3 is not live" in err.message


def test_control_url_errors_from_aiohttp() -> None:
    info = aiohttp.RequestInfo(url=URL_("http://x/control"), method="POST", headers={})  # type: ignore[arg-type]
    gone = aiohttp.ClientResponseError(info, (), status=404, message="Not Found")
    err = vapi_error(gone, vctx(call_id="c-9"))
    assert err.status == 404 and "c-9" in err.message
    assert "broke off" in vapi_error(aiohttp.ServerDisconnectedError(), vctx()).message
    assert "broke off" in vapi_error(aiohttp.ClientPayloadError("x"), vctx()).message


def test_vapi_key_never_appears_in_a_message() -> None:
    key = "vapi-private-key-abcdef"
    REDACTOR.add(key)
    err = vapi_error(ApiError(status_code=400, body={"message": f"bad key {key}"}), vctx())
    assert key not in str(err)
