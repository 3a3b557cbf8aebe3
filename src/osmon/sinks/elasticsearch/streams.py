"""Data stream names of the Elasticsearch sink, and nothing else.

Generators (Logstash, Filebeat, Kibana) import this module to name the same streams as the sink;
it imports no client, so generating a pipeline does not load Elasticsearch or OpenSearch.
"""

from __future__ import annotations

import re

_NOT_NAME = re.compile(r"[^a-z0-9_]+")


def service_dataset(service: str) -> str:
    """``nova-api`` → ``nova_api``: data stream name parts allow no ``-`` and no upper case."""
    return _NOT_NAME.sub("_", service.lower()).strip("_")[:100] or "unknown"


def log_dataset(service: str) -> str:
    """``nova-api`` → ``openstack.nova_api`` (the stream is ``logs-<dataset>-<namespace>``)."""
    return f"openstack.{service_dataset(service)}"
