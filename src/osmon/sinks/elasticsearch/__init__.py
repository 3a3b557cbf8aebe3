"""Elasticsearch / OpenSearch sink: logs and notification events into data streams via ``_bulk``.

Enabled in the daemon config with::

    sinks:
      search:
        type: elasticsearch          # or opensearch
        hosts: [https://es1:9200]
        username: osmon
        password_env: OSMON_ES_PASSWORD
    routes: {log: [search], event: [search]}

Importing this package loads no client: ``build`` imports the runtime (``sink``) when called,
so generators can use ``streams`` and ``documents`` cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from osmon.sinks.elasticsearch.config import ElasticsearchOptions
from osmon.sinks.elasticsearch.documents import encode_action, event_document, log_document
from osmon.sinks.elasticsearch.streams import log_dataset, service_dataset

if TYPE_CHECKING:
    from osmon.components import Context
    from osmon.sinks.elasticsearch.sink import ElasticsearchSink

__all__ = [
    "ElasticsearchOptions",
    "build",
    "encode_action",
    "event_document",
    "log_dataset",
    "log_document",
    "service_dataset",
]


def build(name: str, options: Mapping[str, Any], ctx: Context) -> ElasticsearchSink:
    opts = ElasticsearchOptions.model_validate(dict(options))
    from osmon.sinks.elasticsearch.sink import ElasticsearchSink, settings_from

    return ElasticsearchSink(name, opts, settings_from(opts))
