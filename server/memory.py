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

And a crash of CPython 3.11's collector that SQLAlchemy's instance states meet (``orm_states_with_their_own_dict``).
"""

import gc
import sys
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


def orm_states_with_their_own_dict() -> None:
    """Give every SQLAlchemy ``InstanceState`` a real ``__dict__`` when it is made, on CPython before 3.12.

    CPython 3.11 keeps an object's attributes as inline values until one is set whose name the class's shared keys
    cannot take; it then builds a dictionary from those values (``make_dict_from_instance_attributes``). Building it
    allocates, the allocation can start a collection, and the collection can call a weak reference's callback. An
    instance state's callback (``InstanceState._cleanup``, when its object is found unreachable) sets attributes on
    that same state: its dictionary is built a second time, from the same values, and frees them, while the first
    build goes on with them. The freed memory is then written to and the process dies later, anywhere (a segmentation
    fault; ``docs/performance.md``, "The crash, found", how Valgrind showed it). Built while the state is made,
    its object is alive, so no callback of its own can run during the build. 3.12 no longer builds dictionaries this
    way. Idempotent."""
    if sys.version_info >= (3, 12):
        return
    from sqlalchemy.orm.state import InstanceState

    made = InstanceState.__init__
    if getattr(made, "with_own_dict", False):
        return

    def __init__(self, obj, manager) -> None:
        self.__dict__  # noqa: B018 — reading it builds it
        made(self, obj, manager)

    __init__.with_own_dict = True  # type: ignore[attr-defined]
    InstanceState.__init__ = __init__  # type: ignore[method-assign]
