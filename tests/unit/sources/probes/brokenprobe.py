"""A probe kind whose client library is missing."""

import osmon_no_such_client  # type: ignore[import-not-found]  # noqa: F401
