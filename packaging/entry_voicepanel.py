"""Frozen entry point of the VoicePanel window (the bundle's `voicepanel` executable)."""

import sys

from voicepanel.app import main

if __name__ == "__main__":
    sys.exit(main())
