"""The WSGI entry point: ``flask --app wsgi …``, ``waitress-serve wsgi:app`` or ``gunicorn wsgi:app``."""

import sys

from server import create_app
from server.memory import freeze_start_up_heap

# A thread back from the database waits for the interpreter lock while another thread computes: 5 ms at most by
# default, on each of an upload's round trips, several of them while it holds the event-log lock that every upload
# waits for. 1 ms: docs/performance.md, "200 phones at once".
sys.setswitchinterval(0.001)

app = create_app()
freeze_start_up_heap()  # the start-up heap lives as long as the process: collections need not walk it
