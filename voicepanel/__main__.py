"""``python -m voicepanel``: the same as the ``voicepanel`` command."""

from voicepanel.app import main

if __name__ == "__main__":
    raise SystemExit(main())
