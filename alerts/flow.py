"""What one dispatch worker has in flight and what waits to be written, shared between its
claiming loop, its sending threads, its recorder and its lease keeper."""
from __future__ import annotations

import queue
import threading
from collections import Counter

from alerts.service import Outcome


class Flow:
    """What is in flight and what waits to be written, between the claiming loop, the sending
    threads and the recorder."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.in_flight = self.unrecorded = 0
        self.outcomes: queue.Queue[Outcome] = queue.Queue()
        self.held: set[int] = set()  # deliveries this worker holds: handed to a thread, not yet written
        self.totals: Counter = Counter()
        self.closing = threading.Event()

    def started(self, delivery_id: int) -> None:
        with self.cond:
            self.in_flight += 1
            self.held.add(delivery_id)

    def finished(self, outcome: Outcome) -> None:
        with self.cond:
            self.unrecorded += 1
            self.in_flight -= 1
            self.outcomes.put(outcome)
            self.cond.notify_all()

    def recorded(self, outcomes: list[Outcome]) -> None:
        with self.cond:
            self.unrecorded -= len(outcomes)
            self.held.difference_update(o.delivery.id for o in outcomes)
            self.cond.notify_all()

    def holding(self) -> list[int]:
        with self.cond:
            return list(self.held)

    def wait_for_room(self, window: int, timeout: float) -> int:
        with self.cond:
            self.cond.wait_for(lambda: self.in_flight < window, timeout=timeout)
            return max(window - self.in_flight, 0)

    def take(self, timeout: float, most: int = 200) -> list[Outcome]:
        try:
            taken = [self.outcomes.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(taken) < most:
            try:
                taken.append(self.outcomes.get_nowait())
            except queue.Empty:
                break
        return taken

    def settled(self) -> bool:
        with self.cond:
            return self.in_flight == 0 and self.unrecorded == 0

    def wait_idle(self) -> None:
        with self.cond:
            self.cond.wait_for(lambda: self.in_flight == 0)
