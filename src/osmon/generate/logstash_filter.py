"""The filter section of osmon's Logstash pipelines: the same grok patterns, dates and fields as
the built-in parser, and a deterministic document id so a re-read never duplicates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from osmon.generate.logstash_conf import ConfWriter
from osmon.generate.logstash_formats import (
    PARSE_FAILURE_TAG,
    UNPARSED_FORMAT_TAG,
    FormatRule,
    rule,
)
from osmon.inventory import Expansion

INSTALL_DIR: Final = "/etc/logstash/osmon"
PATTERNS_DIR: Final = f"${{OSMON_LOGSTASH_PATTERNS:{INSTALL_DIR}/patterns}}"
NAMESPACE: Final = "${OSMON_ES_NAMESPACE:default}"

META = "[@metadata][osmon]"
ID_FIELD = f"{META}[id]"
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


def logstash_filter(w: ConfWriter, exp: Expansion, formats: Sequence[str], *, beats: bool) -> None:
    w.open("filter")
    if beats:
        w.open("if [osmon]")
        w.plugin("mutate", [("rename", {"[osmon]": META})])
        w.close()
    w.open("if ![event][original]")
    w.plugin("mutate", [("copy", {"message": "[event][original]"})])
    w.close()
    w.open(f"if !{META}[dataset]")
    w.plugin(
        "mutate",
        [("replace", {f"{META}[dataset]": "openstack.unknown", f"{META}[format]": "unknown"})],
    )
    w.close()
    for field, meta in (("[service][name]", "service"), ("[host][name]", "host")):
        w.open(f"if {META}[{meta}]")
        w.plugin("mutate", [("replace", {field: f"%{{{META}[{meta}]}}"})])
        w.close()
    w.plugin(
        "mutate",
        [
            (
                "replace",
                {
                    "[data_stream][type]": "logs",
                    "[data_stream][dataset]": f"%{{{META}[dataset]}}",
                    "[data_stream][namespace]": NAMESPACE,
                },
            )
        ],
    )
    w.line()
    first = True
    for fmt in formats:
        condition = f'{META}[format] == "{fmt}"'
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
    # Logstash's grok lets "." match newlines; (?-m) keeps GREEDYDATA on the last line.
    _grok(w, "[error][stack_trace]", [rf"(?-m)%{{GREEDYDATA:{META}[last_line]}}\z"])
    _grok(w, f"{META}[last_line]", ["%{PYTHON_EXCEPTION_LINE}"])
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
    w.plugin("fingerprint", [*settings, ("method", "SHA256"), ("target", ID_FIELD)])


# --- output ----------------------------------------------------------------------------------
