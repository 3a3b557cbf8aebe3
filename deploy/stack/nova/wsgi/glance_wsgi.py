"""glance-api for gunicorn; reads OS_GLANCE_CONFIG_DIR/glance-api.conf (set by nova.sh)."""

import sys

sys.argv = sys.argv[:1]

from glance.wsgi.api import application  # noqa: E402,F401
