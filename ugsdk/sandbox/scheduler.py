"""Work due at a sandbox-clock time: agents joining, inactivity, check-in limits.

Each job has a key (e.g. ``(chat_id, "join")``); scheduling a key again replaces the old
job, and cancelling a key drops it, so a chat never has two pending joins.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Callable, Dict, Hashable, List, Optional, Tuple

__all__ = ["Scheduler"]

Job = Callable[[], None]


class Scheduler:
    """A timer heap read against the sandbox clock. Used under the sandbox lock."""

    def __init__(self) -> None:
        self._heap: List[Tuple[float, int, Hashable, Job]] = []
        self._live: Dict[Hashable, int] = {}
        self._order = itertools.count()

    def schedule(self, due: float, key: Hashable, job: Job) -> None:
        """Run ``job`` once the clock reaches ``due`` (replacing any job under ``key``)."""
        order = next(self._order)
        self._live[key] = order
        heap = self._heap
        if len(heap) > 2 * len(self._live) + 64:
            # Mostly replaced or cancelled jobs (each chat leaves a few): keep the live ones,
            # so that the heap, and what it holds on to, does not grow with every chat.
            live = self._live
            heap = self._heap = [entry for entry in heap if live.get(entry[2]) == entry[1]]
            heapq.heapify(heap)
        heapq.heappush(heap, (due, order, key, job))

    def cancel(self, key: Hashable) -> None:
        """Drop the job under ``key``, if any."""
        self._live.pop(key, None)

    def due_at(self, key: Hashable) -> Optional[float]:
        """When the job under ``key`` runs, or ``None``."""
        order = self._live.get(key)
        for due, entry_order, _, _ in self._heap:
            if entry_order == order:
                return due
        return None

    def next_due(self) -> Optional[float]:
        """When the earliest live job runs, or ``None`` when nothing is scheduled."""
        while self._heap and self._live.get(self._heap[0][2]) != self._heap[0][1]:
            heapq.heappop(self._heap)  # a replaced or cancelled job
        return self._heap[0][0] if self._heap else None

    def run_due(self, now: float) -> int:
        """Run every job due by ``now``, earliest first (jobs may schedule more).

        Returns:
            How many jobs ran.
        """
        ran = 0
        while self._heap and self._heap[0][0] <= now:
            _, order, key, job = heapq.heappop(self._heap)
            if self._live.get(key) != order:
                continue  # replaced or cancelled
            del self._live[key]
            job()
            ran += 1
        return ran
