"""A strict protocol double of the Elasticsearch/OpenSearch HTTP API, for tests.

No Elasticsearch or OpenSearch server can run on the build machine (COMPONENTS.md §7), so the
sink is tested against this double with the real client libraries. See ``EsDouble``.
"""

from .server import EsDouble, Faults, Recorded

__all__ = ["EsDouble", "Faults", "Recorded"]
