"""``osmon generate logstash``: Logstash pipelines that parse like osmon's built-in log tailer.

Output (relative paths):

* ``osmon-beats.conf``: a ``beats`` input for the Filebeat configs below, on the aggregating
  Logstash;
* ``osmon-files-<host>.conf``: ``file`` inputs for the logs of one inventory host, for a Logstash
  running on that host;
* ``filebeat/<host>.yml``: the Filebeat side of the beats pipeline (multi-line joining happens
  there: the beats input cannot take a multiline codec);
* ``pipelines.yml``: the ``pipelines.yml`` entries.

Every pipeline is complete on its own (input, filter, output): the filter and output parts are
the same text in each, generated once. Grok uses ``patterns_dir`` pointing at osmon's
``logstash/patterns`` (installed as ``/etc/logstash/osmon/patterns`` by default), and the same
top-level pattern names as the built-in parser. Events go to the data streams the osmon
Elasticsearch sink writes (``logs-openstack.<service>-<namespace>``) with ``create`` and a
deterministic ``_id``. Credentials are ``${VAR}`` references (environment or Logstash keystore).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Final

from osmon.generate.filebeat import filebeat_configs
from osmon.generate.logstash_conf import ConfWriter, plugin_id
from osmon.generate.logstash_filter import (
    ID_FIELD,
    INSTALL_DIR,
    META,
    PATTERNS_DIR,
    logstash_filter,
)
from osmon.generate.logstash_formats import (
    UNPARSED_FORMAT_TAG,
    rule,
)
from osmon.generate.output import header
from osmon.inventory import Expansion, LogSource
from osmon.sinks.elasticsearch.streams import log_dataset

COMMAND: Final = "osmon generate logstash"
BEATS_PORT: Final = 5044


def generate_logstash(exp: Expansion) -> dict[str, str]:
    """All Logstash (and Filebeat) files for the inventory, by relative path."""
    sources = exp.log_sources
    formats = sorted({s.format for s in sources})
    files = {"osmon-beats.conf": _beats_pipeline(exp, formats)}
    for host, host_sources in _by_host(sources):
        files[f"osmon-files-{host}.conf"] = _file_pipeline(exp, host, host_sources)
    files["pipelines.yml"] = _pipelines_yml(exp, [h for h, _ in _by_host(sources)])
    files.update(
        (f"filebeat/{host}.yml", text) for host, text in filebeat_configs(exp, COMMAND).items()
    )
    return dict(sorted(files.items()))


def _by_host(sources: Iterable[LogSource]) -> list[tuple[str, list[LogSource]]]:
    hosts: dict[str, list[LogSource]] = {}
    for s in sources:
        hosts.setdefault(s.host, []).append(s)
    return [(h, sorted(hosts[h], key=lambda s: s.id)) for h in sorted(hosts)]


# --- the header ------------------------------------------------------------------------------


def _notes(w: ConfWriter, exp: Expansion, formats: Sequence[str], beats: bool) -> None:
    w.comment(
        "",
        "Needs Logstash 8.10+ (ECS compatibility v8; the ssl_* option names of the beats input",
        "and elasticsearch output plugins of that release).",
        "",
        f"Grok patterns: {PATTERNS_DIR}",
        "(osmon's logstash/patterns: the built-in parser loads the same files).",
        f"Time zone of timestamps without an offset: {exp.log_timezone} (cloud.log_timezone).",
        "",
        "Environment (or Logstash keystore) references, nothing secret in this file:",
        "  ES_HOSTS (space-separated URLs), ES_USER, ES_PASSWORD, ES_CA_FILE,",
        "  OSMON_ES_NAMESPACE (default 'default'), OSMON_LOGSTASH_PATTERNS,",
    )
    if beats:
        w.comment(
            f"  OSMON_BEATS_HOST (default 127.0.0.1), OSMON_BEATS_PORT (default {BEATS_PORT}),",
            "  OSMON_BEATS_CERT, OSMON_BEATS_KEY, OSMON_BEATS_CA (TLS with client certificates).",
        )
    w.comment(
        "",
        "Output: data streams logs-openstack.<service>-<namespace>, as the osmon Elasticsearch",
        "sink writes them (its index templates must be installed: start the sink once).",
        "Logstash's data_stream mode refuses document_id, so the output names the data stream as",
        "the index, with action 'create' (the only action data streams accept).",
        "",
        "Document ids: the built-in tailer uses host + file fingerprint + byte offset of the",
    )
    if beats:
        w.comment(
            "entry. Here: SHA-256 of host.name, log.file.path, the file identity Filebeat sends",
            "(log.file.fingerprint / inode / device_id) and log.offset. Re-shipping an entry",
            "gives the same _id (a 409 conflict, not a duplicate).",
        )
    else:
        w.comment(
            "entry. Logstash's file input gives no offset, so here: SHA-256 of the whole event",
            "(host, path, timestamp, original text, parsed fields). Re-reading a file gives the",
            "same ids; two identical lines of one file share an id and only the first is kept.",
            "Use the beats pipeline (or osmon's tailer) where exact counts of identical lines",
            "matter.",
        )
    w.comment(
        "",
        "Unparseable lines are kept, tagged _grokparsefailure (as built in); lines of formats",
        f"that are not parsed are kept whole, tagged {UNPARSED_FORMAT_TAG}.",
    )
    limited = [(f, rule(f)) for f in formats if rule(f).limits]
    if limited:
        w.comment("Per-format notes:")
        for fmt, r in limited:
            for text in r.limits:
                w.comment(*textwrap.wrap(f"{fmt}: {text}", 94, subsequent_indent="  "))


# --- pipelines -------------------------------------------------------------------------------


def _beats_pipeline(exp: Expansion, formats: Sequence[str]) -> str:
    w = ConfWriter()
    w.comment(
        "Pipeline osmon-beats: receives the Filebeat inputs of filebeat/<host>.yml (which join",
        "multi-line entries and label each event with its inventory service, host and format).",
    )
    _notes(w, exp, formats, beats=True)
    w.line()
    w.open("input")
    w.open("beats")
    for key, value in (
        ("id", "osmon-beats"),
        ("host", "${OSMON_BEATS_HOST:127.0.0.1}"),
        ("port", f"${{OSMON_BEATS_PORT:{BEATS_PORT}}}"),
        ("ssl_enabled", True),
        ("ssl_certificate", f"${{OSMON_BEATS_CERT:{INSTALL_DIR}/tls/logstash.crt}}"),
        ("ssl_key", f"${{OSMON_BEATS_KEY:{INSTALL_DIR}/tls/logstash.key}}"),
        ("ssl_certificate_authorities", [f"${{OSMON_BEATS_CA:{INSTALL_DIR}/tls/ca.crt}}"]),
        ("ssl_client_authentication", "required"),
    ):
        w.setting(key, value)
    w.close()
    w.close()
    w.line()
    logstash_filter(w, exp, formats, beats=True)
    w.line()
    _output(w)
    return header(COMMAND, exp.cloud) + "#\n" + w.text()


def _file_pipeline(exp: Expansion, host: str, sources: Sequence[LogSource]) -> str:
    formats = sorted({s.format for s in sources})
    w = ConfWriter()
    w.comment(
        f"Pipeline osmon-files-{host}: tails the log files of host {host!r} with Logstash's file",
        "input; run it on that host only (host.name is set from the inventory).",
    )
    _notes(w, exp, formats, beats=False)
    w.line()
    w.open("input")
    for s in sources:
        _file_input(w, s)
    w.close()
    w.line()
    logstash_filter(w, exp, formats, beats=False)
    w.line()
    _output(w)
    return header(COMMAND, exp.cloud) + "#\n" + w.text()


def _file_input(w: ConfWriter, s: LogSource) -> None:
    r = rule(s.format)
    w.comment(f"{s.id} ({s.format})")
    w.open("file")
    w.setting("id", plugin_id("file", s.id, s.service_name))
    w.setting("path", [s.path])
    w.setting("mode", "tail")
    w.setting("start_position", "beginning")
    if r.codec == "json":
        w.setting("codec", "json")
    elif s.multiline and r.continuation is not None:
        c = r.continuation
        w.open("codec => multiline")
        w.setting("patterns_dir", [PATTERNS_DIR])
        w.setting("pattern", c.grok)
        w.setting("negate", c.negate)
        w.setting("what", "previous")
        w.setting("auto_flush_interval", 2)
        w.close()
    w.setting(
        "add_field",
        {
            f"{META}[format]": s.format,
            f"{META}[service]": s.service_name,
            f"{META}[host]": s.host,
            f"{META}[dataset]": log_dataset(s.service_name),
        },
    )
    w.close()


def _pipelines_yml(exp: Expansion, hosts: Sequence[str]) -> str:
    out = [header(COMMAND, exp.cloud)]
    out.append(
        "# Entries for Logstash's pipelines.yml (path.settings). Install this directory as\n"
        f"# {INSTALL_DIR}/pipelines and osmon's logstash/patterns as {INSTALL_DIR}/patterns.\n"
        "# The aggregating Logstash runs osmon-beats; a cloud host that tails its own files\n"
        "# instead runs only its osmon-files-<host> entry (uncomment it there).\n"
    )
    out.append(_pipeline_entry("osmon-beats", commented=False))
    for host in hosts:
        out.append(_pipeline_entry(f"osmon-files-{host}", commented=True))
    return "".join(out)


def _pipeline_entry(name: str, *, commented: bool) -> str:
    lines = (
        f"- pipeline.id: {name}",
        f'  path.config: "{INSTALL_DIR}/pipelines/{name}.conf"',
        "  pipeline.ecs_compatibility: v8",
    )
    prefix = "# " if commented else ""
    return "".join(f"{prefix}{line}\n" for line in lines)


# --- filter ----------------------------------------------------------------------------------


def _output(w: ConfWriter) -> None:
    w.open("output")
    w.plugin(
        "elasticsearch",
        [
            ("id", "osmon-elasticsearch"),
            ("hosts", "${ES_HOSTS:https://127.0.0.1:9200}"),
            ("user", "${ES_USER:osmon}"),
            ("password", "${ES_PASSWORD}"),
            ("ssl_enabled", True),
            ("ssl_verification_mode", "full"),
            ("ssl_certificate_authorities", ["${ES_CA_FILE:/etc/ssl/certs/ca-certificates.crt}"]),
            ("data_stream", "false"),
            ("ilm_enabled", "false"),
            ("manage_template", False),
            ("action", "create"),
            ("index", "logs-%{[data_stream][dataset]}-%{[data_stream][namespace]}"),
            ("document_id", f"%{{{ID_FIELD}}}"),
        ],
    )
    w.close()
