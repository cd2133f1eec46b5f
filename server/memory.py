"""Keeping Python's cycle collector off the app's own heap: frozen once the app is built, paused while the server
builds a large, short-lived read model.

The modules, the app and its extensions make about 170,000 objects that live as long as the process. Each full
collection walked them all again (about 5 ms, every few uploads: a tenth of an upload's time in the ledger benchmark,
``docs/performance.md``); ``freeze_start_up_heap`` moves them out of the collector's sight (``gc.freeze``), as
``wsgi.py`` does once ``create_app`` returns.

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


def freeze_start_up_heap() -> None:
    """Leave what exists now (imports, the app) out of every later collection: called once the app is built."""
    gc.collect()
    gc.freeze()


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
