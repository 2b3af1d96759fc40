"""Runtime hook: make sounddevice load the PortAudio inside the bundle on Linux.

sounddevice finds PortAudio with ctypes.util.find_library("portaudio"), which on Linux
asks ldconfig (and gcc/ld, absent on a user's computer): on a machine without the
libportaudio2 package it finds nothing and the app would have no audio, even though the
bundle carries the library. Point that one lookup at the bundled copy.
"""

import ctypes.util
import os
import sys

_bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")
if sys.platform.startswith("linux") and os.path.isfile(_bundled):
    _find_library = ctypes.util.find_library

    def _find_library_bundled_portaudio(name):
        if name == "portaudio":
            return _bundled
        return _find_library(name)

    ctypes.util.find_library = _find_library_bundled_portaudio
