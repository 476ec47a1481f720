"""WSGI entry point, served by gunicorn in every runtime (see photoshare/gunicorn_conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photoshare.settings")

application = get_wsgi_application()
