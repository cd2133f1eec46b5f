"""Pausing Python's cycle collector while the server builds a large, short-lived read model.

Reading a 20,000-event log allocates a few hundred thousand objects (rows, events, payloads) without reference
cycles. Meanwhile the collector, started every 700 allocations, walks the app's whole heap again and again: it took
half the log page's time (``docs/performance.md``, "Distribution log"). Reference counting frees those objects all
the same, and the collector runs again once the pause ends. ``gc`` has one switch for the whole process, so pauses
in several threads are counted and the collector comes back when the last one ends, and never if it was off before.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
