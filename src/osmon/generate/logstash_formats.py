"""How each inventory log format is parsed in the generated Logstash pipelines.

The grok expressions name the same top-level patterns as osmon's built-in parser
(``osmon.logs.formats``: ``OSLO_LINE``, ``APACHE_ACCESS`` ...) from the same ``logstash/patterns``
files, so a pattern fixed once is fixed for both. What Logstash cannot express the way the
built-in parser does is said in ``limits`` and lands as a comment in the generated pipeline.

``Continuation`` tells where a multi-line entry continues: ``grok`` for Logstash's multiline
codec (which understands pattern names) and ``regex`` for Filebeat (Go RE2, no pattern names, no
look-around); both must classify lines the same way (a unit test checks them on sample logs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from osmon.logs.vocabulary import REDIS_LEVELS, REDIS_ROLES


@dataclass(frozen=True, slots=True)
class Continuation:
    grok: str
    regex: str
    negate: bool
    """True: a line *not* matching continues the previous entry; False: a matching line does."""


@dataclass(frozen=True, slots=True)
class FormatRule:
    name: str
    match: tuple[str, ...]
    """Grok expressions tried in order on ``message`` (first match wins); empty: no parsing."""
    dates: tuple[str, ...] = ()
    """Logstash ``date`` filter formats for ``[@metadata][timestamp]``."""
    continuation: Continuation | None = None
    upper_level: bool = True
    """Upper-case ``log.level`` (``[info]`` → ``INFO``) as the built-in parser does."""
    oslo_message: bool = False
    """Apply oslo.log message rules (DEBUG suffix, exception summary, WSGI access lines)."""
    oslo_stack: bool = False
    """Split prefixed traceback lines off into ``error.stack_trace``."""
    report_body: bool = False
    """RabbitMQ < 3.7 ``=INFO REPORT====`` blocks: the message is the lines below the header."""
    codec: str = "plain"
    limits: tuple[str, ...] = ()
    timezone_field: bool = False
    """``[@metadata][timezone]`` (the zone the line names) overrides the inventory's zone."""
    strip_prefix: str = ""
    """Ruby regex of the prefix repeated on continuation lines, removed from ``message``."""
    translations: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    """(field, ((written, meaning) ...)): codes rewritten as the built-in parser does."""


_DATE_LED: Final = r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]|[0-9]{6} )"
_ISO_SPACE: Final = (
    "yyyy-MM-dd HH:mm:ss.SSSSSSZZ",
    "yyyy-MM-dd HH:mm:ss.SSSZZ",
    "yyyy-MM-dd HH:mm:ssZZ",
    "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd HH:mm:ss",
    "ISO8601",
)
_CTIME: Final = (
    "EEE MMM dd HH:mm:ss.SSSSSS yyyy",
    "EEE MMM dd HH:mm:ss yyyy",
    "EEE MMM  d HH:mm:ss.SSSSSS yyyy",
    "EEE MMM  d HH:mm:ss yyyy",
    "EEE MMM d HH:mm:ss yyyy",
)
_PG_START: Final = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?( [^ \[]+)? \[[0-9]+\] "
    r"([^ ]*@[^ ]* )?"
)
_PG_LEVELS: Final = r"(LOG|WARNING|ERROR|FATAL|PANIC|DEBUG[1-5]|INFO|NOTICE):"
_PG_DETAILS: Final = r"(?:DETAIL|HINT|CONTEXT|QUERY|STATEMENT|LOCATION):"

RULES: Final[dict[str, FormatRule]] = {
    r.name: r
    for r in (
        FormatRule(
            "oslo",
            (r"(?m)\A%{OSLO_LINE}",),
            dates=("yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss.SSSSSS", "yyyy-MM-dd HH:mm:ss"),
            continuation=Continuation(
                r"^%{OSLO_TIMESTAMP} %{NONNEGINT} %{OSLO_LEVEL} %{OSLO_LOGGER} \[(?:-|None |req-)",
                r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)? [0-9]+ "
                r"[A-Z]+ [^\s\[\]]+ \[(-|None |req-)",
                negate=True,
            ),
            upper_level=False,
            oslo_message=True,
            oslo_stack=True,
            limits=(
                "a record starts at a line with a context bracket ([-], [None req-...],"
                " [req-...]) and takes the lines after it: multiline joining here is by"
                " adjacency only (neither Logstash's multiline codec nor Filebeat's multiline"
                " can keep one open record per pid), so where workers interleave, another"
                " process's traceback lines join the record before them; the built-in parser"
                " joins traceback lines to the open record of the same 'time.ms pid' prefix and"
                " logger and keeps each worker's traceback whole",
            ),
        ),
        FormatRule(
            "apache_access",
            (r"\A%{APACHE_ACCESS}",),
            dates=("dd/MMM/yyyy:HH:mm:ss Z",),
        ),
        FormatRule(
            "apache_error",
            (r"(?m)\A%{APACHE_ERROR}",),
            dates=_CTIME,
            continuation=Continuation(
                r"^\[%{APACHE_ERROR_TIMESTAMP}\] ",
                r"^\[[A-Za-z]{3} [A-Za-z]{3} +[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}"
                r"(\.[0-9]+)? [0-9]{4}\] ",
                negate=True,
            ),
        ),
        FormatRule(
            "uwsgi",
            (r"\A%{UWSGI_REQUEST}",),
            dates=_CTIME,
            limits=("uwsgi's own start-up output does not parse and is tagged, as built in",),
        ),
        FormatRule(
            "rabbitmq",
            (r"(?m)\A%{RABBITMQ_LOG}",),
            dates=(*_ISO_SPACE, "d-MMM-yyyy::HH:mm:ss"),
            continuation=Continuation(
                r"^(?:%{RABBITMQ_TIMESTAMP} \[|=%{WORD} REPORT==== )",
                r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}[^ ]* \[|"
                r"=[A-Za-z0-9_]+ REPORT==== )",
                negate=True,
            ),
            report_body=True,
            limits=(
                "RabbitMQ 3.9+ repeats the line prefix on every line of a multi-line message;"
                " each such line is its own event here (the built-in parser joins them)",
            ),
        ),
        FormatRule(
            "mariadb",
            (r"(?m)\A%{MARIADB_LINE}",),
            dates=(
                "yyyy-MM-dd HH:mm:ss",
                "yyyy-MM-dd  H:mm:ss",
                "yyMMdd HH:mm:ss",
                "yyMMdd  H:mm:ss",
                "ISO8601",
            ),
            continuation=Continuation(_DATE_LED, _DATE_LED, negate=True),
        ),
        FormatRule(
            "syslog",
            (r"\A%{SYSLOG_OSLO_LINE}", r"\A%{SYSLOG_LINE}"),
            dates=("MMM  d HH:mm:ss", "MMM d HH:mm:ss", "MMM dd HH:mm:ss", *_ISO_SPACE),
            upper_level=False,
            oslo_message=True,
            limits=(
                "journald/syslog store each traceback line as its own entry; the built-in"
                " parser joins them by host and process, here each line stays an event",
            ),
        ),
        FormatRule(
            "postgresql",
            (r"(?m)\A%{POSTGRESQL_LINE}",),
            dates=("yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss"),
            continuation=Continuation(
                r"^%{POSTGRESQL_PREFIX}%{POSTGRESQL_LEVEL}:", "^" + _PG_START + _PG_LEVELS, True
            ),
            timezone_field=True,
            strip_prefix=r"(?<=\n)" + _PG_START.replace("(", "(?:") + rf"(?={_PG_DETAILS})",
            limits=(
                "DETAIL/HINT/STATEMENT... lines join the entry before them; the built-in parser"
                " also requires them to repeat its exact prefix (time, pid, user@database)",
                "the zone PostgreSQL writes goes to the date filter as a zone id: offsets and"
                " ids such as UTC or CET work, summer abbreviations (CEST) do not and fail the date"
                " (the built-in parser takes them as the inventory's zone)",
            ),
        ),
        FormatRule(
            "redis",
            (r"\A%{REDIS_LINE}",),
            dates=(
                "dd MMM yyyy HH:mm:ss.SSS",
                "d MMM yyyy HH:mm:ss.SSS",
                "dd MMM yyyy HH:mm:ss",
                "dd MMM HH:mm:ss.SSS",
                "d MMM HH:mm:ss.SSS",
                "dd MMM HH:mm:ss",
            ),
            translations=(
                ("[log][level]", tuple(REDIS_LEVELS.items())),
                ("[redis][log][role]", tuple(REDIS_ROLES.items())),
            ),
        ),
        FormatRule("nagios", (r"\A%{NAGIOS_LINE}",), dates=("UNIX",)),
        FormatRule(
            "json",
            (),
            codec="json",
            limits=("decoded by the json codec (file) or Filebeat's ndjson parser (beats)",),
        ),
        FormatRule(
            "plain",
            (),
            continuation=Continuation(r"^\s", r"^\s", negate=False),
            limits=("not parsed by design: lines are kept whole",),
        ),
    )
}

UNPARSED_FORMAT_TAG: Final = "_osmon_unparsed"
"""Tag of events of a format that is not parsed (plain, or no pattern yet)."""
PARSE_FAILURE_TAG: Final = "_grokparsefailure"
"""Same tag as the built-in parser's (and Logstash's default), so one Kibana filter finds both."""


def rule(fmt: str) -> FormatRule:
    """The rule for an inventory format; an unknown one is kept whole, like ``plain``."""
    found = RULES.get(fmt)
    if found is not None:
        return found
    return FormatRule(fmt, (), limits=(f"unknown format {fmt!r}: lines are kept whole",))
