"""VAPI's published assistant schema, and the check VAPI's API makes of an assistant.

    problems = assistant_problems(config)                       # [] when VAPI would accept it
    problems = assistant_problems(overrides, "assistantOverrides")
    unknown = unknown_call_fields(body)                         # top-level POST /call fields

The schema (assistant.json beside this file) is generated from the `vapi` SDK's types by
scripts/generate_vapi_schema.py, so nothing here imports the slow SDK. A leaf package: the
sandbox and the app's core both use it, and it imports nothing else of VoicePanel.
"""

from voicepanel.vapi_schema.check import (
    LEGACY_FIELDS,
    assistant_problems,
    unknown_call_fields,
)

__all__ = ["LEGACY_FIELDS", "assistant_problems", "unknown_call_fields"]
