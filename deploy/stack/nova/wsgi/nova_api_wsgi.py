"""nova-api (osapi_compute) for gunicorn: nova parses sys.argv with oslo.config, so gunicorn's
arguments are hidden from it and the config comes from OS_NOVA_CONFIG_DIR/FILES (set by
deploy/stack/nova.sh; the first file is the paste config)."""

import sys

sys.argv = sys.argv[:1]

from nova.wsgi.osapi_compute import application  # noqa: E402,F401
