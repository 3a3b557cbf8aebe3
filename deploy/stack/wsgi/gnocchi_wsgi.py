"""Gnocchi WSGI app for gunicorn with an explicit config file.

gnocchi.rest.wsgi parses sys.argv with oslo.config, which would see gunicorn's own arguments.
"""

import os

from gnocchi import opts, service
from gnocchi.rest import app

opts.set_defaults()
conf = service.prepare_service(args=[], default_config_files=[os.environ["GNOCCHI_CONF"]])
application = app.load_app(conf)
