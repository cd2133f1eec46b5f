"""The WSGI entry point: ``flask --app wsgi …``, ``waitress-serve wsgi:app`` or ``gunicorn wsgi:app``."""

from server import create_app
from server.memory import freeze_start_up_heap

app = create_app()
freeze_start_up_heap()  # the start-up heap lives as long as the process: collections need not walk it
