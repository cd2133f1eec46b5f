"""The collector pause around large reads: nested and threaded pauses give it back once, as it was. And CPython
3.11's collector crash on SQLAlchemy's instance states, kept away by ``create_app``."""

import gc
import os
import subprocess
import sys
import threading
from pathlib import Path

from server.memory import collector_paused

ROOT = Path(__file__).resolve().parent.parent


def test_the_collector_comes_back_after_the_last_pause():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pauses_in_two_threads_overlap():
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other thread is still reading
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_turned_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# The crash of ``server.memory.orm_states_with_their_own_dict``, on purpose: a state whose object only the collector
# can free (a cycle), the class's shared keys full, then an attribute set on the state whose dictionary must be built,
# the collector started by that build (threshold just reached, the dict free list empty). The state's weak reference
# callback then sets attributes on the same state during the build. The debug allocator catches the freed values
# being used (it aborts); without it, the process goes on with a damaged heap and dies later.
CRASH = """
import gc, sys
from sqlalchemy import inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if sys.argv[1] == "app":
    from server import create_app
    create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "INSTANCE_PATH": sys.argv[2]})

class Base(DeclarativeBase):
    pass

class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(primary_key=True)

kept = Thing()
for i in range(40):
    setattr(inspect(kept), f"filler_{i}", i)
for offset in range(12):
    for _ in range(3):
        gc.collect()
        gc.disable()
        thing = Thing()
        state = inspect(thing)
        thing.cycle = thing
        del thing
        drained = [{"k": 1} for _ in range(100)]
        gc.set_threshold(gc.get_count()[0] + offset)
        gc.enable()
        state.not_shared = offset
        gc.set_threshold(700)
print("survived")
"""


def run_crash(mode: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONMALLOC": "debug", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", CRASH, mode, str(tmp_path)], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_app_keeps_cpython_311s_collector_from_freeing_a_state_it_is_building(tmp_path):
    bare = run_crash("bare", tmp_path)
    if sys.version_info < (3, 12):  # 3.12 builds instance dictionaries otherwise: the crash is 3.11's
        assert bare.returncode != 0 and "survived" not in bare.stdout  # the crash is real on this interpreter
    with_app = run_crash("app", tmp_path)
    assert with_app.returncode == 0, with_app.stderr[-2000:]
    assert with_app.stdout.strip() == "survived"
