"""Frozen entry point of the offline sandbox server (the bundle's `voicepanel-sandbox`)."""

import sys

from voicepanel.sandbox.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
