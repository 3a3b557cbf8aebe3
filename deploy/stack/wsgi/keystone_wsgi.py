"""Keystone WSGI app for gunicorn with an explicit config file.

Keystone parses sys.argv with oslo.config; gunicorn's arguments would make every worker exit
while the listening socket stays open, so readiness probes would hang.
"""

import os
import sys

sys.argv = sys.argv[:1]
_conf = os.environ["KEYSTONE_CONF"]
os.environ["OS_KEYSTONE_CONFIG_DIR"] = os.path.dirname(_conf)
os.environ["OS_KEYSTONE_CONFIG_FILES"] = os.path.basename(_conf)

from keystone.server import wsgi  # noqa: E402

application = wsgi.initialize_public_application()
