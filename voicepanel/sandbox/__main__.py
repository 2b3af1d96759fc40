"""Entry point of `python -m voicepanel.sandbox` and the `voicepanel-sandbox` console script."""

import sys

from voicepanel.sandbox.cli import main

if __name__ == "__main__":
    sys.exit(main())
