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
from osmon.generate.logstash_formats import (
    PARSE_FAILURE_TAG,
    UNPARSED_FORMAT_TAG,
    FormatRule,
    rule,
)
from osmon.generate.output import header
from osmon.inventory import Expansion, LogSource
from osmon.sinks.elasticsearch.streams import log_dataset

COMMAND: Final = "osmon generate logstash"
INSTALL_DIR: Final = "/etc/logstash/osmon"
PATTERNS_DIR: Final = f"${{OSMON_LOGSTASH_PATTERNS:{INSTALL_DIR}/patterns}}"
NAMESPACE: Final = "${OSMON_ES_NAMESPACE:default}"
BEATS_PORT: Final = 5044

_META = "[@metadata][osmon]"
_ID_FIELD = f"{_META}[id]"
_DURATION_FORMATS = frozenset({"oslo", "syslog", "apache_access", "uwsgi", "postgresql"})
_SUMMARY_LEVELS = ["WARNING", "WARN", "ERROR", "CRITICAL", "FATAL"]
_OSLO_PREFIX = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ [0-9]+ [A-Z]+ [^\s\[\]]+ (?:\[instance: [^\]]+\] )?"
)
_DURATION_RUBY = (
    "meta = event.get('[@metadata]') || {}; "
    "factors = { 'duration_s' => 1e9, 'duration_ms' => 1e6, 'duration_us' => 1e3 }; "
    "key = factors.keys.find { |k| meta[k] }; "
    "event.set('[event][duration]', (meta[key].to_f * factors[key]).round) if key"
)


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
    _filter(w, exp, formats, beats=True)
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
    _filter(w, exp, formats, beats=False)
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
            f"{_META}[format]": s.format,
            f"{_META}[service]": s.service_name,
            f"{_META}[host]": s.host,
            f"{_META}[dataset]": log_dataset(s.service_name),
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


def _grok(
    w: ConfWriter,
    field: str,
    patterns: Sequence[str],
    *,
    overwrite: Sequence[str] = (),
    failure: Sequence[str] = (),
) -> None:
    w.open("grok")
    w.setting("patterns_dir", [PATTERNS_DIR])
    w.setting("match", {field: patterns[0] if len(patterns) == 1 else list(patterns)})
    if overwrite:
        w.setting("overwrite", list(overwrite))
    w.setting("tag_on_failure", list(failure))
    w.close()


def _filter(w: ConfWriter, exp: Expansion, formats: Sequence[str], *, beats: bool) -> None:
    w.open("filter")
    if beats:
        w.open("if [osmon]")
        w.plugin("mutate", [("rename", {"[osmon]": _META})])
        w.close()
    w.open("if ![event][original]")
    w.plugin("mutate", [("copy", {"message": "[event][original]"})])
    w.close()
    w.open(f"if !{_META}[dataset]")
    w.plugin(
        "mutate",
        [("replace", {f"{_META}[dataset]": "openstack.unknown", f"{_META}[format]": "unknown"})],
    )
    w.close()
    for field, meta in (("[service][name]", "service"), ("[host][name]", "host")):
        w.open(f"if {_META}[{meta}]")
        w.plugin("mutate", [("replace", {field: f"%{{{_META}[{meta}]}}"})])
        w.close()
    w.plugin(
        "mutate",
        [
            (
                "replace",
                {
                    "[data_stream][type]": "logs",
                    "[data_stream][dataset]": f"%{{{_META}[dataset]}}",
                    "[data_stream][namespace]": NAMESPACE,
                },
            )
        ],
    )
    w.line()
    first = True
    for fmt in formats:
        condition = f'{_META}[format] == "{fmt}"'
        if first:
            w.open(f"if {condition}")
            first = False
        else:
            w.else_if(condition)
        _format_branch(w, rule(fmt), exp.log_timezone)
    if first:
        w.open("if true")
    w.otherwise()
    w.plugin("mutate", [("add_tag", [UNPARSED_FORMAT_TAG])])
    w.close()
    w.line()
    if _DURATION_FORMATS.intersection(formats):
        w.comment("event.duration in nanoseconds from whichever unit the line used")
        w.open("if [@metadata][duration_s] or [@metadata][duration_ms] or [@metadata][duration_us]")
        w.plugin("ruby", [("code", _DURATION_RUBY)])
        w.close()
    _fingerprint(w, beats)
    w.close()


def _format_branch(w: ConfWriter, r: FormatRule, timezone: str) -> None:
    if not r.match:
        if r.codec != "json":
            w.plugin("mutate", [("add_tag", [UNPARSED_FORMAT_TAG])])
        return
    _grok(w, "message", r.match, overwrite=["message"], failure=[PARSE_FAILURE_TAG])
    if r.dates:
        w.open("if [@metadata][timestamp]")
        if r.timezone_field:
            w.comment("the zone the line names, else the inventory's")
            w.open("if [@metadata][timezone]")
            _date(w, r, "%{[@metadata][timezone]}")
            w.otherwise()
            _date(w, r, timezone)
            w.close()
        else:
            _date(w, r, timezone)
        w.close()
    if r.strip_prefix:
        w.comment("continuation lines repeat the entry's prefix: it is removed from message")
        w.plugin("mutate", [("gsub", ["message", r.strip_prefix, ""])])
    for field, mapping in r.translations:
        w.open(f"if {field}")
        w.plugin(
            "translate",
            [
                ("source", field),
                ("target", field),
                ("override", True),
                ("dictionary", dict(mapping)),
            ],
        )
        w.close()
    if r.report_body:
        w.open(r"if [message] =~ /\A=[A-Za-z]+ REPORT==== /")
        _grok(w, "message", [r"(?m)\A[^\n]*\n%{GREEDYDATA:message}\z"], overwrite=["message"])
        w.plugin("mutate", [("strip", ["message"])])
        w.close()
    if r.oslo_stack:
        w.comment("traceback lines repeat the record's prefix: they become error.stack_trace")
        w.open(r"if [message] =~ /\n/")
        _grok(
            w,
            "message",
            [
                r"(?m)\A%{DATA:message}\n%{OSLO_TIMESTAMP} %{NONNEGINT} %{OSLO_LEVEL} "
                r"%{OSLO_LOGGER} (?:\[instance: %{UUID}\] )?%{GREEDYDATA:[error][stack_trace]}\z"
            ],
            overwrite=["message"],
        )
        w.open("if [error][stack_trace]")
        w.plugin("mutate", [("gsub", ["[error][stack_trace]", _OSLO_PREFIX, ""])])
        w.plugin("mutate", [("strip", ["[error][stack_trace]"])])
        w.close()
        w.close()
    if r.oslo_message:
        _oslo_message(w, guard=r.name != "oslo")
    if r.upper_level:
        w.open("if [log][level]")
        w.plugin("mutate", [("uppercase", ["[log][level]"])])
        w.close()


def _date(w: ConfWriter, r: FormatRule, timezone: str) -> None:
    w.plugin(
        "date",
        [
            ("match", ["[@metadata][timestamp]", *r.dates]),
            ("timezone", timezone),
            ("target", "@timestamp"),
        ],
    )


def _oslo_message(w: ConfWriter, *, guard: bool) -> None:
    """What oslo.log appends to messages: DEBUG call sites, exception summaries, access lines."""
    if guard:
        w.open("if [log][logger]")
    w.open('if [log][level] == "DEBUG"')
    _grok(w, "message", ["%{OSLO_DEBUG_MESSAGE}"], overwrite=["message"])
    levels = ", ".join(f'"{lv}"' for lv in _SUMMARY_LEVELS)
    w.else_if(f"[log][level] in [{levels}]")
    _grok(w, "message", ["%{OSLO_ERROR_SUMMARY}"])
    w.close()
    _grok(w, "message", ["%{OSLO_WSGI_ACCESS}"])
    w.open("if [error][stack_trace] and ![error][type]")
    _grok(w, "[error][stack_trace]", [rf"%{{GREEDYDATA:{_META}[last_line]}}\z"])
    _grok(w, f"{_META}[last_line]", ["%{PYTHON_EXCEPTION_LINE}"])
    w.close()
    if guard:
        w.close()


def _fingerprint(w: ConfWriter, beats: bool) -> None:
    settings: list[tuple[str, str | bool | list[str]]]
    if beats:
        settings = [
            (
                "source",
                [
                    "[host][name]",
                    "[log][file][path]",
                    "[log][file][fingerprint]",
                    "[log][file][inode]",
                    "[log][file][device_id]",
                    "[log][offset]",
                ],
            ),
            ("concatenate_sources", True),
        ]
    else:
        settings = [("concatenate_all_fields", True)]
    w.plugin("fingerprint", [*settings, ("method", "SHA256"), ("target", _ID_FIELD)])


# --- output ----------------------------------------------------------------------------------


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
            ("document_id", f"%{{{_ID_FIELD}}}"),
        ],
    )
    w.close()
