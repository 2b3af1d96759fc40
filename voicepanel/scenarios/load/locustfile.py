"""The locustfile ``voicepanel load`` hands to Locust (``locust -f`` takes it too): the
scenario user and its listeners live in ``users``, a module imported once and kept, since
Locust loads a locustfile in its own way."""

from voicepanel.scenarios.load.users import ScenarioUser

__all__ = ["ScenarioUser"]
