"""VAPI's live events: the Server URL posts of the calls the panel starts.

`events` turns a post into a `CallEvent` (or says why not), `receiver` is the local
server that takes the posts, and `reachability` proves that a public address (a tunnel)
reaches it.
"""

from voicepanel.core.vapi_events.events import (
    KNOWN_TYPES,
    CallEvent,
    PostRefused,
    RejectedPost,
    parse_post,
)
from voicepanel.core.vapi_events.reachability import (
    ReachCheck,
    check_public_url,
    events_url,
    public_url_problem,
)
from voicepanel.core.vapi_events.receiver import (
    EVENTS_PATH,
    SECRET_HEADER,
    EventHandler,
    EventReceiver,
)

__all__ = [
    "EVENTS_PATH",
    "KNOWN_TYPES",
    "SECRET_HEADER",
    "CallEvent",
    "EventHandler",
    "EventReceiver",
    "PostRefused",
    "ReachCheck",
    "RejectedPost",
    "check_public_url",
    "events_url",
    "parse_post",
    "public_url_problem",
]
