"""Conversation scenarios: files that say what to tell an assistant and what to expect of
its replies, a runner that plays them against a workspace and scores every turn, and what
it writes (JUnit XML, an HTML report). ``voicepanel run`` and ``voicepanel load`` are its
command lines; the window runs scenarios through the same runner.

Beside ui/: it uses session/, core/ and voicepanel.speech, and never Qt.
"""
