"""The sandbox's Fishjam side: REST, notifier, agent and peer sockets, media routing, VAPI peers.

`FishjamSandbox` (in `service.py`) is the one object the server builds; everything else is
an implementation detail of it.
"""

from voicepanel.sandbox.fishjam.service import FishjamSandbox

__all__ = ["FishjamSandbox"]
