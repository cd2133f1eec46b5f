"""The WSGI entry point: ``flask --app wsgi …``, ``waitress-serve wsgi:app`` or ``gunicorn wsgi:app``."""

from server import create_app

app = create_app()
