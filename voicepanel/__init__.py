"""VoicePanel: one desktop window over Fishjam rooms and VAPI voice assistants."""

__version__ = "0.1.0"
