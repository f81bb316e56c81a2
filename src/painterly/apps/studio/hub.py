"""The wake-up call from the worker thread to the event streams: one asyncio.Event, replaced at every change."""

from __future__ import annotations

import asyncio


class Hub:
    """Wakes the event streams when the worker thread changes a job (the thread hands the wake-up to the loop)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event: asyncio.Event | None = None

    def start(self) -> None:
        self.loop, self.event = asyncio.get_running_loop(), asyncio.Event()

    def notify(self) -> None:
        if self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(self._fire)
            except RuntimeError:  # the loop closed during shutdown
                pass

    def _fire(self) -> None:
        event, self.event = self.event, asyncio.Event()
        event.set()
