"""Counts read as a person would write them."""

from __future__ import annotations

import pytest

from voicepanel.core.wording import plural


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 peers"), (1, "1 peer"), (2, "2 peers"), (12_345, "12,345 peers")],
)
def test_a_count_takes_the_noun_that_fits_it(count: int, expected: str) -> None:
    assert plural(count, "peer") == expected


def test_an_irregular_plural_is_given_once() -> None:
    assert plural(1, "reply", "replies") == "1 reply"
    assert plural(3, "reply", "replies") == "3 replies"
