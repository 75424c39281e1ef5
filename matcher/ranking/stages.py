"""The stages and finer steps of a shortlist, and the clock that tells their observers the time
each took (``/metrics`` reads the stages; the serving benchmark's breakdown reads the steps)."""

from __future__ import annotations

import time
from collections.abc import Callable

StageObserver = Callable[[str, float], None]
"""Told the seconds of each stage of a shortlist, by name (see :data:`SHORTLIST_STAGES`)."""
SHORTLIST_STAGES = ("filter", "search", "features", "score", "explain")
SHORTLIST_STEPS = (
    "query vector",
    "query table",
    "filters",
    "search",
    "pairs",
    "features",
    "score",
    "rank",
    "explain",
    "items and facts",
)
"""The finer steps of a shortlist that :attr:`Engine.step_observer` is told (the benchmark's breakdown)."""


class StageClock:
    """Laps of one shortlist for the :data:`StageObserver` of the stages (``observer``) and of the
    finer steps (``steps``); with neither, two attribute reads a lap."""

    def __init__(self, observer: StageObserver | None, steps: StageObserver | None = None) -> None:
        self.observer, self.steps = observer, steps
        self.last = self.step_last = time.perf_counter() if observer or steps else 0.0

    def begin(self) -> None:
        """Start the stages' clock here (what came before is a step, not a stage)."""
        if self.observer is not None:
            self.last = time.perf_counter()

    def step(self, name: str) -> None:
        if self.steps is not None:
            now = time.perf_counter()
            self.steps(name, now - self.step_last)
            self.step_last = now

    def lap(self, stage: str) -> None:
        if self.observer is not None:
            now = time.perf_counter()
            self.observer(stage, now - self.last)
            self.last = now
