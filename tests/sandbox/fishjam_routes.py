"""Every Fishjam REST route of the sandbox, and Hypothesis strategies for hostile requests to
them: the building blocks of the fault-injection tests (`test_fishjam_hostile_input.py`, and
any wider suite that wants to throw inputs at the sandbox).

`FISHJAM_ROUTES` is checked against the sandbox's own router by a test, so a route added to
the sandbox without being listed here fails the suite.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # aiohttp's form: "/room/{room_id}/peer/{peer_id}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


FISHJAM_ROUTES: tuple[Route, ...] = tuple(
    Route(method, path)
    for method, path in [
        ("GET", "/validate"),
        ("POST", "/room"),
        ("GET", "/room"),
        ("GET", "/room/{room_id}"),
        ("DELETE", "/room/{room_id}"),
        ("POST", "/room/{room_id}/peer"),
        ("DELETE", "/room/{room_id}/peer/{peer_id}"),
        ("POST", "/room/{room_id}/peer/{peer_id}/refresh_token"),
        ("POST", "/room/{room_id}/peer/{peer_id}/subscribe_peer"),
        ("POST", "/room/{room_id}/peer/{peer_id}/subscribe_tracks"),
        ("POST", "/room/{room_id}/track_forwardings"),
        ("POST", "/room/{room_id}/viewer"),
        ("POST", "/room/{room_id}/streamer"),
        ("POST", "/moq/access"),
        ("POST", "/recordings"),
        ("GET", "/recordings"),
        ("GET", "/recordings/{recording_id}"),
        ("POST", "/recordings/{recording_id}/stop"),
        ("DELETE", "/recordings/{recording_id}"),
        # The sockets, asked as plain HTTP (no upgrade): still a 4xx, never a 500.
        ("GET", "/socket/server/websocket"),
        ("GET", "/socket/agent/websocket"),
        ("GET", "/socket/peer/websocket"),
    ]
)

# Field names the Fishjam REST bodies read, so generated bodies reach deep into validation.
FIELDS = [
    "maxPeers", "roomType", "videoCodec", "webhookUrl", "public", "batchWebhookNotifications",
    "type", "options", "metadata", "subscribeMode", "output", "audioFormat", "audioSampleRate",
    "apiKey", "callId", "autoClose", "track_ids", "compositionURL", "selector", "source",
    "outputId", "scaleRatio", "audio", "resolution", "width", "height", "publishPath",
    "subscribePath", "ttl",
]  # fmt: skip
# Values those fields accept, mixed in so that some generated bodies are nearly valid.
PLAUSIBLE = [
    "conference", "livestream", "audio_only_livestream", "h264", "vp8", "webrtc", "agent",
    "vapi", "auto", "manual", "pcm16", 16000, 24000, 48000, "all", "http://127.0.0.1:9/hook",
    0, 1, 3, 3600, 604800, True, False,
]  # fmt: skip
# Hand-made hostile bodies Hypothesis would rarely stumble on by itself.
HOSTILE_BODIES = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 200 + b"1" + b"}" * 200,
    b'{"maxPeers": NaN}',
    b'{"maxPeers": -Infinity}',
    b'{"ttl": 1e999}',
    b'{"maxPeers": 1' + b"0" * 5000 + b"}",
    b'{"metadata": "' + b"x" * (2 * 1024 * 1024) + b'"}',
    b"\xff\xfe\x00",
    b'{"type": "webrtc", "options": {"metadata": {"n": ' + b"[" * 60 + b"]" * 60 + b"}}}",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: json.dumps writes them as NaN/Infinity
    | st.text(max_size=20)
    | st.sampled_from(PLAUSIBLE),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)


@dataclass(frozen=True)
class HostileRequest:
    method: str
    route: Route
    path: str
    query: dict[str, str]
    body: bytes | None
    headers: dict[str, str]


def _body(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _nested(depth: int) -> bytes:
    return b'{"metadata": ' + b"[" * depth + b"]" * depth + b"}"


bodies = st.one_of(
    st.sampled_from(HOSTILE_BODIES),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(_body),
    json_values.map(_body),
    st.integers(20, 5000).map(_nested),
    st.binary(max_size=64),
    st.none(),
)

queries = st.dictionaries(
    st.sampled_from(["peer_id", "status", "metadata[env]", "metadata[a][b]", "metadata["])
    | st.text(max_size=6),
    st.sampled_from(["NaN", "Infinity", "1e999", "-1", "active", "x" * 300]) | st.text(max_size=12),
    max_size=3,
)


@st.composite
def hostile_requests(draw: st.DrawFn, ids: dict[str, str], token: str) -> HostileRequest:
    """A request to one Fishjam route; `ids` gives real ids to use for some path parameters."""
    route = draw(st.sampled_from(FISHJAM_ROUTES))
    path = route.path
    for name in route.params:
        value = draw(st.sampled_from([ids[name]]) | st.text(min_size=1, max_size=40))
        path = path.replace("{" + name + "}", quote(value, safe=""))
    if draw(st.booleans()):
        path = path.replace("/", "//", 1)  # empty segments, as the JavaScript SDK sends
    auth = draw(st.sampled_from([f"Bearer {token}"] * 8 + ["Bearer wrong", "", "Basic x"]))
    content_type = draw(
        st.sampled_from(["application/json"] * 4 + ["multipart/form-data; boundary=zz", "text/x"])
    )
    headers = {"Content-Type": content_type}
    if auth:
        headers["Authorization"] = auth
    return HostileRequest(route.method, route, path, draw(queries), draw(bodies), headers)
