"""The app behind a real waitress server in a thread of the test, on 127.0.0.1: started, cut and stopped.

Stopping is done from the server's own loop: closing its sockets from the test's thread while the loop waits on them
ends the loop with ``EBADF`` and leaves its worker threads behind."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server


def start(app, port: int = 0, threads: int = 4) -> tuple[BaseWSGIServer, threading.Thread]:
    """``app`` served on ``127.0.0.1:port`` (``0``: a free port, then ``server.effective_port``)."""
    server = create_server(
        app, host="127.0.0.1", port=port, threads=threads, clear_untrusted_proxy_headers=True, map={}
    )  # map: its own sockets, not waitress's module-wide map, so closing it closes nothing else
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread


def cut(server: BaseWSGIServer) -> None:
    """Close the listening socket and every connection now, in the server's loop (safe from any thread, a request's
    included), which then ends; returns once done."""
    done = threading.Event()

    def close_everything():
        wasyncore.close_all(server._map)  # the listener, the trigger, every client connection
        done.set()

    try:
        server.trigger.pull_trigger(close_everything)
    except OSError:  # its wake-up pipe already closed (seen once in CI, cause unknown): close from here instead
        wasyncore.close_all(server._map, ignore_all=True)
        return
    assert done.wait(5), "the server's loop did not close"


def stop(server: BaseWSGIServer, thread: threading.Thread) -> None:
    if server._map:
        cut(server)
    server.task_dispatcher.shutdown(timeout=5)
    thread.join(timeout=5)


@contextmanager
def serving(app, port: int = 0, threads: int = 4) -> Iterator[BaseWSGIServer]:
    server, thread = start(app, port, threads)
    try:
        yield server
    finally:
        stop(server, thread)
