"""Placement for gunicorn; reads OS_PLACEMENT_CONFIG_DIR/placement.conf (set by nova.sh)."""

import sys

sys.argv = sys.argv[:1]

from placement.wsgi.api import application  # noqa: E402,F401
