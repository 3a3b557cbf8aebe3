"""The Filebeat side of the generated ``osmon-beats`` Logstash pipeline, one file per host.

Multi-line entries must be joined by Filebeat (the beats input refuses a multiline codec), with
the RE2 form of each format's continuation rule. ``fields.osmon`` carries the inventory service,
host, format and data stream dataset that the pipeline routes on. ``filestream`` with fingerprint
file identity makes ``log.file.fingerprint`` + ``log.offset`` name an entry across rotations,
which is what the pipeline's document ids are made of.
"""

from __future__ import annotations

from typing import Any

import yaml

from osmon.generate.logstash_conf import plugin_id
from osmon.generate.logstash_formats import rule
from osmon.generate.output import header
from osmon.inventory import Expansion, LogSource
from osmon.sinks.elasticsearch.streams import log_dataset

_TLS_DIR = "/etc/filebeat/osmon"


def _input(s: LogSource, input_id: str) -> dict[str, Any]:
    r = rule(s.format)
    doc: dict[str, Any] = {
        "type": "filestream",
        "id": input_id,
        "paths": [s.path],
        "prospector.scanner.fingerprint.enabled": True,
        "file_identity.fingerprint": None,
        "fields_under_root": True,
        "fields": {
            "osmon": {
                "format": s.format,
                "service": s.service_name,
                "host": s.host,
                "dataset": log_dataset(s.service_name),
            }
        },
    }
    if r.codec == "json":
        doc["parsers"] = [{"ndjson": {"target": "", "add_error_key": True}}]
    elif s.multiline and r.continuation is not None:
        c = r.continuation
        doc["parsers"] = [
            {
                "multiline": {
                    "type": "pattern",
                    "pattern": c.regex,
                    "negate": c.negate,
                    "match": "after",
                }
            }
        ]
    return doc


def filebeat_configs(exp: Expansion, command: str) -> dict[str, str]:
    """``{host: filebeat.yml text}`` for every host with log sources."""

    hosts: dict[str, list[LogSource]] = {}
    for s in exp.log_sources:
        hosts.setdefault(s.host, []).append(s)
    out: dict[str, str] = {}
    for host in sorted(hosts):
        sources = sorted(hosts[host], key=lambda s: s.id)
        doc = {
            "filebeat.inputs": [
                _input(s, plugin_id("filestream", s.id, s.service_name)) for s in sources
            ],
            "output.logstash": {
                "hosts": ["${OSMON_LOGSTASH_HOSTS:127.0.0.1:5044}"],
                "ssl.enabled": True,
                "ssl.verification_mode": "full",
                "ssl.certificate_authorities": [f"${{OSMON_BEATS_CA:{_TLS_DIR}/ca.crt}}"],
                "ssl.certificate": f"${{OSMON_BEATS_CERT:{_TLS_DIR}/{host}.crt}}",
                "ssl.key": f"${{OSMON_BEATS_KEY:{_TLS_DIR}/{host}.key}}",
            },
        }
        intro = (
            f"# Filebeat 8.10+ configuration for host {host!r}: ships its OpenStack logs to\n"
            "# the osmon-beats Logstash pipeline (mutual TLS; certificates from the environment).\n"
            "# Multi-line entries are joined here; fields.osmon routes them in Logstash.\n"
        )
        body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=1000)
        out[host] = header(command, exp.cloud) + intro + body
    return out
