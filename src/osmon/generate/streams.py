"""Where generated shippers send logs: the data streams of osmon's Elasticsearch sink.

Named through the sink's own function so Logstash, Filebeat and the built-in tailer can never
disagree on a stream name.
"""

from __future__ import annotations

from osmon.sinks.elasticsearch import service_dataset


def log_dataset(service: str) -> str:
    """``nova-api`` → ``openstack.nova_api`` (the stream is ``logs-<dataset>-<namespace>``)."""
    return f"openstack.{service_dataset(service)}"
