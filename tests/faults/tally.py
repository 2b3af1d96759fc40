"""What the fault suite tried and saw, summed over the run and printed at its end
(conftest.py), so docs/reliability.md can quote a run's figures."""

from __future__ import annotations

from collections import Counter

TALLY: Counter[str] = Counter()
