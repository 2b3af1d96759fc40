"""ERLE: how much echo the canceller removes, in dB, measured live, and the warning that
echo is leaking into the room.

ERLE = 10 log10(E[mic in] / E[mic out]) over the recent frames that carry echo only: the
far end is playing, the microphone hears clearly more than its noise floor, and nobody
near is talking. Talk is told from echo by level, as a Geigel detector does, but against
the far end's energy *at the echo's delay* (found by correlating the two energy
envelopes) and the echo coupling (the median microphone-to-far ratio): echo sits around
that level, talk rises well above it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voicepanel.core.audio.echo.levels import energy_dbfs, mean_square

_EPS = 1e-12
MEDIAN_EVERY_FRAMES = 5


@dataclass(frozen=True)
class ErleReading:
    erle_db: float | None
    """ERLE over the window; None until enough echo-only audio was seen."""
    echo_leaking: bool
    """ERLE stayed below the warning threshold for a while: the room hears the echo."""
    echo_only: bool
    """This frame counted: far end active, echo present, no near-end talk."""


class ErleMeter:
    """Fed far frames and microphone frames (before and after processing), all of one
    length (10 or 20 ms), in stream order: ``update`` for a triple that belongs together,
    or ``observe_far`` and ``update_near`` separately as the agent's loop produces them.

    ``window_ms`` of echo-only audio make one reading; ``echo_leaking`` turns on after
    ``warn_after_ms`` of echo-only audio with ERLE under ``warn_below_db``, and off once
    ERLE is back 3 dB above it. ``echo_delay_ms`` is a first guess of the echo's delay
    (the stream delay given to the canceller); the meter then finds it itself.
    """

    def __init__(
        self,
        sample_rate: int,
        *,
        window_ms: float = 1000.0,
        far_active_db: float = -50.0,
        noise_margin_db: float = 10.0,
        min_echo_db: float = -60.0,
        talk_margin_db: float = 8.0,
        talk_hangover_ms: float = 150.0,
        warn_below_db: float = 10.0,
        warn_after_ms: float = 3000.0,
        echo_delay_ms: float = 60.0,
        max_delay_ms: float = 500.0,
        tail_ms: float = 30.0,
        history_ms: float = 4000.0,
    ) -> None:
        self.sample_rate = sample_rate
        self.window_ms = window_ms
        self.far_active_db = far_active_db
        self.noise_margin_db = noise_margin_db
        self.min_echo_db = min_echo_db
        self.talk_margin_db = talk_margin_db
        self.talk_hangover_ms = talk_hangover_ms
        self.warn_below_db = warn_below_db
        self.warn_after_ms = warn_after_ms
        self.max_delay_ms = max_delay_ms
        self.tail_ms = tail_ms
        self.history_ms = history_ms
        self.echo_delay_ms = echo_delay_ms
        """The echo's delay behind the far end, as last found from the envelopes."""
        self.noise_floor_db: float | None = None
        """The microphone's level while the far end is silent (dBFS), once seen."""
        self.echo_coupling_db: float | None = None
        """Echo level relative to the far end at the microphone (dB): -10 means the echo
        arrives 10 dB below what is played."""
        self.erle_db: float | None = None
        self.echo_leaking = False
        self._frame_ms = 0.0
        self._far_e: deque[float] = deque()
        self._in_e: deque[float] = deque()
        self._frames_since_search = 0
        self._talk_left_ms = 0.0
        # Far frames not yet paired with a microphone frame; a second's worth at most,
        # so a stalled microphone does not leave a stale backlog.
        self._far_queue: deque[float] = deque(maxlen=100)
        self._couplings: deque[float] = deque()
        self._since_median = 0
        self._pending: deque[tuple[float, float]] = deque()  # (E in, E out), not yet counted
        self._window: deque[tuple[float, float]] = deque()  # (E in, E out) per frame
        self._sum_in = 0.0
        self._sum_out = 0.0
        self._low_ms = 0.0

    def update(
        self,
        far: npt.NDArray[np.generic],
        near_in: npt.NDArray[np.generic],
        near_out: npt.NDArray[np.generic],
    ) -> ErleReading:
        """One step with frames that belong together in time (offline, or in lockstep)."""
        self.observe_far(far)
        return self.update_near(near_in, near_out)

    def observe_far(self, far: npt.NDArray[np.generic]) -> None:
        """Live use: each far frame as it is handed to the speaker (silence included)."""
        self._far_queue.append(mean_square(far))

    def update_near(
        self, near_in: npt.NDArray[np.generic], near_out: npt.NDArray[np.generic]
    ) -> ErleReading:
        """Live use: each microphone frame before and after processing. It is paired with
        the oldest far frame not yet paired, so far and near may arrive in bursts of
        different sizes; the echo's delay is found from the envelopes either way."""
        if not self._frame_ms:
            self._start(len(near_in))
        ms = self._frame_ms
        far_e = self._far_queue.popleft() if self._far_queue else 0.0
        e_in, e_out = mean_square(near_in), mean_square(near_out)
        self._remember(far_e, e_in)
        in_db = energy_dbfs(e_in)
        ref_db = energy_dbfs(self._far_at_echo_delay())

        if ref_db <= self.far_active_db:
            if self._far_quiet_for_a_while():
                self._track_noise(in_db, ms)
            return self._reading(echo_only=False)
        floor = self.min_echo_db
        if self.noise_floor_db is not None:
            floor = max(floor, self.noise_floor_db + self.noise_margin_db)
        if in_db < floor:
            return self._reading(echo_only=False)
        if self._is_talk(in_db - ref_db, ms):
            return self._reading(echo_only=False)
        self._add(e_in, e_out, ms)
        return self._reading(echo_only=True)

    # -- where the echo is -------------------------------------------------------------

    def _start(self, frame_samples: int) -> None:
        self._frame_ms = 1000.0 * frame_samples / self.sample_rate
        self._history = max(8, int(self.history_ms / self._frame_ms))
        self._far_e = deque(maxlen=self._history)
        self._in_e = deque(maxlen=self._history)
        self._couplings = deque(maxlen=self._history)

    def _remember(self, far_e: float, in_e: float) -> None:
        self._far_e.append(far_e)
        self._in_e.append(in_e)
        self._frames_since_search += 1
        if self._frames_since_search * self._frame_ms >= 250.0:
            self._frames_since_search = 0
            self._search_delay()

    def _search_delay(self) -> None:
        # The lag that best lines up the log-energy envelopes of far end and microphone.
        far = np.log10(np.asarray(self._far_e) + _EPS)
        mic = np.log10(np.asarray(self._in_e) + _EPS)
        n = len(far)
        max_lag = min(int(self.max_delay_ms / self._frame_ms), n // 2)
        if n < 16 or np.ptp(far) < 1.0:
            return
        scores = np.zeros(max_lag + 1)
        for lag in range(max_lag + 1):
            x, y = far[: n - lag], mic[lag:]
            x, y = x - x.mean(), y - y.mean()
            denom = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
            scores[lag] = float(np.dot(x, y)) / denom if denom > 0.0 else 0.0
        best = float(scores.max())
        if best < 0.5:
            return
        # A rhythmic far end correlates again one syllable later: take the earliest of
        # the near-equal peaks, since the direct echo comes first.
        lag = int(np.argmax(scores >= best - 0.03))
        self.echo_delay_ms = lag * self._frame_ms

    def _far_at_echo_delay(self) -> float:
        """Mean far energy over the frames whose echo reaches the microphone now."""
        lag = int(round(self.echo_delay_ms / self._frame_ms))
        span = max(1, int(round(self.tail_ms / self._frame_ms)))
        end = len(self._far_e) - lag
        if end <= 0:
            return 0.0
        start = max(0, end - span)
        return sum(self._far_e[i] for i in range(start, end)) / (end - start)

    # -- noise, talk, and the reading --------------------------------------------------

    def _far_quiet_for_a_while(self) -> bool:
        # Only when nothing played within the longest echo delay is the microphone
        # hearing its own noise rather than a late echo.
        span = int((self.max_delay_ms + self.tail_ms) / self._frame_ms) + 1
        recent = list(self._far_e)[-span:]
        return energy_dbfs(max(recent)) <= self.far_active_db

    def _track_noise(self, in_db: float, ms: float) -> None:
        # Minimum tracking: follow the floor down at once, rise slowly (3 dB/s), so speech
        # between far-end turns does not lift it.
        if self.noise_floor_db is None or in_db < self.noise_floor_db:
            self.noise_floor_db = in_db
        else:
            self.noise_floor_db += 3.0 * ms / 1000.0

    def _is_talk(self, coupling_db: float, ms: float) -> bool:
        # The echo coupling is the median of what is seen: talk over the far end is the
        # minority of far-active frames, so it lifts the median little.
        self._couplings.append(coupling_db)
        self._since_median += 1
        if self.echo_coupling_db is None or self._since_median >= MEDIAN_EVERY_FRAMES:
            # The median of a few seconds moves slowly: every few frames is enough (it was
            # the meter's largest cost per frame).
            self._since_median = 0
            self.echo_coupling_db = float(np.median(self._couplings))
        est = self.echo_coupling_db
        if len(self._couplings) >= 10 and coupling_db > est + self.talk_margin_db:
            self._talk_left_ms = self.talk_hangover_ms
            # Frames just before talk was detected hold its onset: drop them too.
            self._pending.clear()
        talk = self._talk_left_ms > 0.0
        self._talk_left_ms = max(0.0, self._talk_left_ms - ms)
        return talk

    def _add(self, e_in: float, e_out: float, ms: float) -> None:
        # A frame counts once talk_hangover_ms later without talk, so the soft onset of
        # a word (below the talk margin) does not pass for badly cancelled echo.
        self._pending.append((e_in, e_out))
        while len(self._pending) * ms > self.talk_hangover_ms:
            self._commit(*self._pending.popleft(), ms)

    def _commit(self, e_in: float, e_out: float, ms: float) -> None:
        self._window.append((e_in, e_out))
        self._sum_in += e_in
        self._sum_out += e_out
        if len(self._window) * ms > self.window_ms:
            old_in, old_out = self._window.popleft()
            self._sum_in -= old_in
            self._sum_out -= old_out
        if len(self._window) * ms >= self.window_ms / 2:
            residual = max(self._sum_out, self._sum_in * 1e-12, 1e-30)
            self.erle_db = 10.0 * float(np.log10(max(self._sum_in, 1e-30) / residual))
            self._judge_leak(self.erle_db, ms)

    def _judge_leak(self, erle_db: float, ms: float) -> None:
        if erle_db < self.warn_below_db:
            self._low_ms += ms
            if self._low_ms >= self.warn_after_ms:
                self.echo_leaking = True
        elif erle_db >= self.warn_below_db + 3.0:
            self._low_ms = 0.0
            self.echo_leaking = False

    def _reading(self, *, echo_only: bool) -> ErleReading:
        return ErleReading(self.erle_db, self.echo_leaking, echo_only)
