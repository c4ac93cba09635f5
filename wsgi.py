"""The WSGI entry point: `gunicorn wsgi:app`. The only module that creates the app."""

from app import create_app

app = create_app()
