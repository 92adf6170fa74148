"""WSGI entry point: ``gunicorn wsgi:app``. Set FEEDHUB_CONFIG to use another sources.yaml."""

from feedhub.web import create_app

app = create_app()
