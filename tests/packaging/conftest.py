"""The installer's smoke test runs only when asked for: it builds a .deb (minutes).

    pytest -m packaging tests/packaging          # or: scripts/test.sh -m packaging tests/packaging
    VOICEPANEL_PACKAGING=1 pytest tests/packaging

Otherwise every test marked ``packaging`` is skipped, so the normal suite stays fast.
"""

from __future__ import annotations

import os

import pytest

SKIP_REASON = (
    "installer smoke test (builds and installs the .deb, takes minutes): "
    "run it with `pytest -m packaging tests/packaging` or VOICEPANEL_PACKAGING=1"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "packaging: builds the installer and tests the installed app (slow; opt-in)"
    )


def packaging_selected(config: pytest.Config) -> bool:
    return (
        "packaging" in (config.getoption("markexpr") or "")
        or os.environ.get("VOICEPANEL_PACKAGING") == "1"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if packaging_selected(config):
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if item.get_closest_marker("packaging") is not None:
            item.add_marker(skip)
