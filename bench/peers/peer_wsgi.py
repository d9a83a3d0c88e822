"""WSGI entry point of a peer's gunicorn (DJANGO_SETTINGS_MODULE is set by bench/peers.py)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
