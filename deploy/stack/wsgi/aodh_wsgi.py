"""Aodh WSGI app for gunicorn; aodh.wsgi.api can only read /etc/aodh/aodh.conf."""

import os

from aodh.api import app

application = app.build_wsgi_app(argv=["--config-file", os.environ["AODH_CONF"]])
