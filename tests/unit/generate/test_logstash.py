"""``osmon generate logstash``: structure, patterns, data streams, staleness of logstash/pipelines.

No Logstash binary can run here, so the generated configuration is parsed by a small parser of
the pipeline language below (sections, plugins, conditionals, values), its grok expressions are
compiled by osmon's own grok engine against ``logstash/patterns``, and the multi-line rules are
run on the sample logs beside the built-in parser.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from osmon.cli.generate import generate
from osmon.generate.logstash import PATTERNS_DIR, generate_logstash
from osmon.generate.logstash_conf import ConfWriter, quote
from osmon.generate.logstash_formats import RULES, rule
from osmon.generate.output import MARKER, write_tree
from osmon.grok import PatternLibrary, load_pattern_dir
from osmon.inventory import Expansion, expand, load, load_text
from osmon.inventory.catalog import LOG_FORMATS
from osmon.logs.formats import ALIASES, FORMATS
from osmon.logs.parser import LogParser
from osmon.records import LogRecord
from osmon.sinks.elasticsearch import log_document

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "inventory.yaml"
CHECKED_IN = ROOT / "logstash" / "pipelines"
LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
REFRESH = "osmon generate logstash -i examples/inventory.yaml -o logstash/pipelines"


@pytest.fixture(scope="module")
def expansion() -> Expansion:
    return expand(load(EXAMPLE))


@pytest.fixture(scope="module")
def files(expansion: Expansion) -> dict[str, str]:
    return generate_logstash(expansion)


@pytest.fixture(scope="module")
def library() -> PatternLibrary:
    return PatternLibrary(load_pattern_dir(ROOT / "logstash" / "patterns"))


# --- a parser of Logstash's pipeline language ---------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:\\"|[^"])*+"|'(?:\\'|[^'])*+')
  | (?P<arrow>=>)
  | (?P<op>==|!=|=~|!~|<=|>=|<|>)
  | (?P<punct>[{}\[\](),!])
  | (?P<word>[A-Za-z0-9_.@-]+)
    """,
    re.VERBOSE,
)


@dataclass
class Plugin:
    section: str
    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    conditions: tuple[str, ...] = ()


class ConfSyntaxError(Exception):
    pass


class _Parser:
    """Recursive descent over the tokens; collects every plugin with its settings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[tuple[str, str]] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        pos = 0
        while pos < len(text):
            prev = self.toks[-1][1] if self.toks else ""
            if text[pos] == "/" and prev in ("=~", "!~"):
                end = pos + 1
                while text[end] != "/":
                    end += 2 if text[end] == "\\" else 1
                self.toks.append(("regex", text[pos + 1 : end]))
                self.starts.append(pos)
                self.ends.append(end + 1)
                pos = end + 1
                continue
            m = _TOKEN.match(text, pos)
            if m is None:
                raise ConfSyntaxError(f"unexpected {text[pos : pos + 20]!r} at {pos}")
            kind = m.lastgroup or ""
            if kind not in ("space", "comment"):
                self.toks.append((kind, m.group()))
                self.starts.append(m.start())
                self.ends.append(m.end())
            pos = m.end()
        self.i = 0
        self.plugins: list[Plugin] = []
        self.sections: list[str] = []

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("eof", "")

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        k, v = self.peek()
        if (value is not None and v != value) or (kind is not None and k != kind):
            raise ConfSyntaxError(f"expected {value or kind}, got {v!r} (token {self.i})")
        self.i += 1
        return v

    def config(self) -> None:
        while self.peek()[0] != "eof":
            name = self.take(kind="word")
            if name not in ("input", "filter", "output"):
                raise ConfSyntaxError(f"unknown section {name!r}")
            self.sections.append(name)
            self.take("{")
            self.block(name, ())
            self.take("}")

    def block(self, section: str, conds: tuple[str, ...]) -> None:
        while self.peek()[1] != "}":
            if self.peek()[1] == "if":
                self.branch(section, conds)
            else:
                name = self.take(kind="word")
                plugin = Plugin(section, name, conditions=conds)
                self.take("{")
                plugin.settings = self.settings()
                self.take("}")
                self.plugins.append(plugin)

    def branch(self, section: str, conds: tuple[str, ...]) -> None:
        self.take("if")
        cond = self.condition()
        self.take("{")
        self.block(section, (*conds, cond))
        self.take("}")
        while self.peek()[1] == "else":
            self.take("else")
            if self.peek()[1] == "if":
                self.take("if")
                cond = self.condition()
            else:
                cond = "else"
            self.take("{")
            self.block(section, (*conds, cond))
            self.take("}")

    def condition(self) -> str:
        """The condition's source text (checked for balance, not interpreted)."""
        first = self.i
        parts = []
        depth = 0
        while not (self.peek()[1] == "{" and depth == 0):
            k, v = self.peek()
            if k == "eof":
                raise ConfSyntaxError("condition without block")
            depth += {"[": 1, "]": -1, "(": 1, ")": -1}.get(v, 0) if k == "punct" else 0
            parts.append(v)
            self.i += 1
        if not parts or depth:
            raise ConfSyntaxError(f"bad condition {parts}")
        return self.text[self.starts[first] : self.ends[self.i - 1]]

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self.peek()[1] != "}":
            key = self.take(kind="word")
            self.take("=>")
            if key in out:
                raise ConfSyntaxError(f"duplicate setting {key!r}")
            out[key] = self.value()
        return out

    def value(self) -> Any:
        k, v = self.peek()
        if k == "string":
            self.i += 1
            return v[1:-1]
        if v == "[":
            self.i += 1
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.i += 1
            self.take("]")
            return items
        if v == "{":
            self.i += 1
            out: dict[str, Any] = {}
            while self.peek()[1] != "}":
                key = self.value()
                self.take("=>")
                out[key] = self.value()
            self.take("}")
            return out
        if k == "word":
            self.i += 1
            if self.peek()[1] == "{":
                self.i += 1
                settings = self.settings()
                self.take("}")
                return Plugin("codec", v, settings)
            return v
        raise ConfSyntaxError(f"unexpected value {v!r}")


def parse(text: str) -> _Parser:
    p = _Parser(text)
    p.config()
    return p


def _grok_expressions(p: _Parser) -> list[str]:
    out: list[str] = []
    for plugin in p.plugins:
        if plugin.name == "grok":
            for value in plugin.settings["match"].values():
                out.extend(value if isinstance(value, list) else [value])
        codec = plugin.settings.get("codec")
        if isinstance(codec, Plugin) and codec.name == "multiline":
            out.append(codec.settings["pattern"])
    return out


# --- the parser itself --------------------------------------------------------------------------


def test_parser_rejects_broken_configuration() -> None:
    for bad in (
        "input { file { path => ['/x'] }",
        "input { file { path => } }",
        "filters { }",
        "filter { if [a] { mutate { } } else { } else { } ",
        "filter { mutate { a => 1 a => 2 } }",
    ):
        with pytest.raises(ConfSyntaxError):
            parse(bad)


@given(st.text(alphabet=st.sampled_from(list("ab \\\"'{}[]#%$/\n=>")), max_size=40))
def test_quote_round_trips_through_the_parser(text: str) -> None:
    try:
        literal = quote(text)
    except ValueError:
        assert ('"' in text and "'" in text) or text.endswith("\\")
        return
    w = ConfWriter()
    w.plugin("mutate", [("add_tag", text)])
    p = _Parser("filter {\n" + w.text() + "}\n")
    p.config()
    assert literal[0] in "\"'"
    assert p.plugins[0].settings["add_tag"] == text


# --- structure ----------------------------------------------------------------------------------


def test_expected_files(files: dict[str, str], expansion: Expansion) -> None:
    hosts = sorted({s.host for s in expansion.log_sources})
    assert sorted(files) == sorted(
        [
            "osmon-beats.conf",
            "pipelines.yml",
            *(f"osmon-files-{h}.conf" for h in hosts),
            *(f"filebeat/{h}.yml" for h in hosts),
        ]
    )
    for text in files.values():
        assert MARKER in text.splitlines()[0]
        assert text.endswith("\n") and "\r" not in text


def test_every_pipeline_parses_with_input_filter_output(files: dict[str, str]) -> None:
    for name, text in files.items():
        if name.endswith(".conf"):
            p = parse(text)
            assert sorted(p.sections) == ["filter", "input", "output"], name


def test_every_grok_name_is_defined_and_compiles(
    files: dict[str, str], library: PatternLibrary
) -> None:
    used: set[str] = set()
    for name, text in files.items():
        if not name.endswith(".conf"):
            continue
        exprs = _grok_expressions(parse(text))
        assert exprs, name
        for expr in exprs:
            names = re.findall(r"%\{([A-Za-z0-9_]+)", expr)
            missing = [n for n in names if n not in library]
            assert not missing, f"{name}: {expr!r} uses undefined {missing}"
            used.update(names)
            library.compile(expr)
    assert {"OSLO_LINE", "APACHE_ACCESS", "RABBITMQ_LOG", "MARIADB_LINE", "SYSLOG_LINE"} <= used


def test_every_grok_and_codec_uses_the_shared_patterns_dir(files: dict[str, str]) -> None:
    for name, text in files.items():
        if not name.endswith(".conf"):
            continue
        for plugin in parse(text).plugins:
            settings = plugin.settings
            codec = settings.get("codec")
            if isinstance(codec, Plugin) and codec.name == "multiline":
                assert codec.settings["patterns_dir"] == [PATTERNS_DIR]
            if plugin.name == "grok":
                assert settings["patterns_dir"] == [PATTERNS_DIR]
                assert "tag_on_failure" in settings
    assert PATTERNS_DIR.endswith("/patterns}")


def test_unparseable_lines_are_tagged_never_dropped(files: dict[str, str]) -> None:
    p = parse(files["osmon-beats.conf"])
    assert not [x for x in p.plugins if x.name == "drop"]
    first = [x for x in p.plugins if x.name == "grok" and "message" in x.settings["match"]]
    tagged = [g for g in first if g.settings["tag_on_failure"] == ["_grokparsefailure"]]
    branches = {g.conditions[-1] for g in tagged}
    assert branches == {
        f'[@metadata][osmon][format] == "{f}"'
        for f in ("apache_access", "apache_error", "mariadb", "oslo", "rabbitmq", "syslog")
    }
    for g in tagged:
        assert g.settings["overwrite"] == ["message"]


def test_date_filter_uses_inventory_timezone(files: dict[str, str]) -> None:
    text = load_text(EXAMPLE.read_text().replace("Europe/Paris", "America/Montreal"), "x.yaml")
    other = generate_logstash(expand(text))
    for fileset, tz in ((files, "Europe/Paris"), (other, "America/Montreal")):
        dates = [p for p in parse(fileset["osmon-beats.conf"]).plugins if p.name == "date"]
        assert dates
        for d in dates:
            assert d.settings["timezone"] == tz
            assert d.settings["match"][0] == "[@metadata][timestamp]"
            assert d.settings["target"] == "@timestamp"


def test_file_pipeline_tails_exactly_the_host_sources(
    files: dict[str, str], expansion: Expansion
) -> None:
    for host in {s.host for s in expansion.log_sources}:
        p = parse(files[f"osmon-files-{host}.conf"])
        inputs = [x for x in p.plugins if x.section == "input"]
        assert {x.name for x in inputs} == {"file"}
        got = {
            (x.settings["path"][0], x.settings["add_field"]["[@metadata][osmon][service]"])
            for x in inputs
        }
        want = {(s.path, s.service_name) for s in expansion.log_sources if s.host == host}
        assert got == want
        for x in inputs:
            assert x.settings["add_field"]["[@metadata][osmon][host]"] == host
            fmt = x.settings["add_field"]["[@metadata][osmon][format]"]
            codec = x.settings.get("codec")
            src = next(s for s in expansion.log_sources if s.path == x.settings["path"][0])
            if src.multiline and rule(fmt).continuation is not None:
                assert isinstance(codec, Plugin) and codec.name == "multiline"
                assert codec.settings["what"] == "previous"
            else:
                assert codec is None
        ids = [x.settings["id"] for x in p.plugins if "id" in x.settings]
        assert len(ids) == len(set(ids))


def test_output_goes_to_the_sinks_data_streams(files: dict[str, str], expansion: Expansion) -> None:
    for name, text in files.items():
        if not name.endswith(".conf"):
            continue
        p = parse(text)
        (es,) = [x for x in p.plugins if x.section == "output"]
        s = es.settings
        assert es.name == "elasticsearch"
        assert (s["action"], s["data_stream"]) == ("create", "false")
        assert "data_stream_type" not in s
        assert s["index"] == "logs-%{[data_stream][dataset]}-%{[data_stream][namespace]}"
        assert s["document_id"] == "%{[@metadata][osmon][id]}"
        (fp,) = [x for x in p.plugins if x.name == "fingerprint"]
        assert fp.settings["target"] == "[@metadata][osmon][id]"
        assert fp.settings["method"] == "SHA256"
    for src in expansion.log_sources:
        stream, _, _ = log_document(LogRecord({}, "x", src.service_name), "default")
        host_conf = parse(files[f"osmon-files-{src.host}.conf"])
        datasets = {
            x.settings["add_field"]["[@metadata][osmon][dataset]"]
            for x in host_conf.plugins
            if x.section == "input" and x.settings["path"] == [src.path]
        }
        assert {f"logs-{d}-default" for d in datasets} == {stream}
        assert fnmatch.fnmatch(stream, "logs-openstack.*-*")


def test_beats_ids_use_position_file_ids_content(files: dict[str, str]) -> None:
    (beats,) = [x for x in parse(files["osmon-beats.conf"]).plugins if x.name == "fingerprint"]
    assert "[log][offset]" in beats.settings["source"]
    assert "[log][file][fingerprint]" in beats.settings["source"]
    (tail,) = [x for x in parse(files["osmon-files-ctl1.conf"]).plugins if x.name == "fingerprint"]
    assert tail.settings["concatenate_all_fields"] == "true"


def test_no_secret_in_generated_files(files: dict[str, str]) -> None:
    for name, text in files.items():
        if name.endswith(".conf"):
            for plugin in parse(text).plugins:
                for key, value in plugin.settings.items():
                    if key in ("password", "api_key", "ssl_key_passphrase", "user"):
                        assert re.fullmatch(r"\$\{[A-Z_]+(:[^}]*)?\}", value), (name, key)
                if plugin.name == "elasticsearch":
                    assert plugin.settings["password"] == "${ES_PASSWORD}"
                    assert plugin.settings["ssl_verification_mode"] == "full"
                if plugin.name == "beats":
                    assert plugin.settings["ssl_enabled"] == "true"
                    assert plugin.settings["host"].endswith(":127.0.0.1}")
        assert not re.search(r"(?i)password\s*(=>|:)\s*[\"']?[^$\s\"'{]", text), name


def test_filebeat_configs(files: dict[str, str], expansion: Expansion) -> None:
    for host in {s.host for s in expansion.log_sources}:
        doc = yaml.safe_load(files[f"filebeat/{host}.yml"])
        inputs = doc["filebeat.inputs"]
        assert {i["paths"][0] for i in inputs} == {
            s.path for s in expansion.log_sources if s.host == host
        }
        assert len({i["id"] for i in inputs}) == len(inputs)
        for i in inputs:
            assert i["type"] == "filestream" and i["fields_under_root"] is True
            assert i["fields"]["osmon"]["host"] == host
            for parser in i.get("parsers", []):
                if "multiline" in parser:
                    re.compile(parser["multiline"]["pattern"])
        out = doc["output.logstash"]
        assert out["ssl.enabled"] is True and out["ssl.verification_mode"] == "full"


def test_pipelines_yml_points_at_every_pipeline(files: dict[str, str]) -> None:
    text = files["pipelines.yml"]
    assert [e["pipeline.id"] for e in yaml.safe_load(text)] == ["osmon-beats"]
    for name in files:
        if name.endswith(".conf"):
            assert f"/pipelines/{name}" in text


def test_deterministic(expansion: Expansion, files: dict[str, str]) -> None:
    assert generate_logstash(expansion) == files
    reloaded = generate_logstash(expand(load(EXAMPLE)))
    assert reloaded == files


# --- same patterns and rules as the built-in parser ---------------------------------------------


def test_every_inventory_format_has_a_rule() -> None:
    assert set(RULES) == set(LOG_FORMATS)


def test_primary_pattern_is_the_built_in_parsers() -> None:
    for name, r in RULES.items():
        builtin = FORMATS.get(ALIASES.get(name, name))
        if builtin is None or not builtin.pattern:
            assert not r.match, name
            continue
        assert builtin.pattern.strip("%{}") in r.match[0], name


def _entries(lines: list[str], pattern: re.Pattern[str], negate: bool) -> list[list[str]]:
    out: list[list[str]] = []
    for line in lines:
        starts = bool(pattern.search(line)) is negate
        if starts or not out:
            out.append([line])
        else:
            out[-1].append(line)
    return out


def _builtin(fmt: str, lines: list[str]) -> list[dict[str, Any]]:
    p = LogParser(fmt)
    docs = []
    offset = 0
    for line in lines:
        docs += [e.doc for e in p.feed(line, offset)]
        offset += len(line) + 1
    return docs + [e.doc for e in p.flush()]


@pytest.mark.parametrize(
    ("fixture", "fmt"),
    [
        ("oslo_traceback", "oslo"),
        ("oslo_eras", "oslo"),
        ("oslo_messages", "oslo"),
        ("rabbitmq_old", "rabbitmq"),
        ("mariadb", "mariadb"),
        ("apache_error", "apache_error"),
        ("postgresql", "postgresql"),
    ],
)
def test_continuation_rules_split_like_the_built_in_parser(
    fixture: str, fmt: str, library: PatternLibrary
) -> None:
    lines = (LOGS / f"{fixture}.log").read_text().splitlines()
    c = rule(fmt).continuation
    assert c is not None
    by_grok = _entries(lines, library.compile(c.grok).regex, c.negate)
    by_re2 = _entries(lines, re.compile(c.regex), c.negate)
    assert by_grok == by_re2
    docs = _builtin(fmt, lines)
    assert ["\n".join(e) for e in by_grok] == [d["event"]["original"] for d in docs]


def _run_oslo_branch(entry: str, conf: _Parser, library: PatternLibrary) -> dict[str, Any]:
    """The oslo branch of the generated filter, step by step, with osmon's grok engine."""
    branch = [p for p in conf.plugins if 'format] == "oslo"' in " ".join(p.conditions)]
    doc: dict[str, Any] = {"message": entry}
    meta: dict[str, Any] = {}

    def source(name: str) -> str | None:
        if name == "message":
            return str(doc["message"])
        if name == "[error][stack_trace]":
            error = doc.get("error", {})
            return None if "type" in error else error.get("stack_trace")
        assert name == "[@metadata][osmon][last_line]"
        return meta.get("osmon.last_line") or meta.get("osmon", {}).get("last_line")

    for plugin in branch:
        cond = plugin.conditions[-1]
        level = doc.get("log", {}).get("level")
        if "=~ /\\n/" in cond and "\n" not in doc["message"]:
            continue
        if ("DEBUG" in cond and level != "DEBUG") or ("WARNING" in cond and level == "DEBUG"):
            continue
        if plugin.name == "grok":
            ((field_name, expr),) = plugin.settings["match"].items()
            text = source(field_name)
            compiled = library.compile(expr)
            m = None if text is None else compiled.regex.search(text)
            if m is not None:
                captured = compiled.fill(m, doc)
                for key, value in captured.items():
                    if isinstance(value, dict):
                        meta.setdefault(key, {}).update(value)
                    else:
                        meta[key] = value
        elif plugin.name == "mutate" and "gsub" in plugin.settings:
            fld, pattern, repl = plugin.settings["gsub"]
            assert fld == "[error][stack_trace]"
            if "error" in doc:
                doc["error"]["stack_trace"] = re.sub(
                    pattern, repl, doc["error"]["stack_trace"], flags=re.M
                )
        elif plugin.name == "mutate" and "strip" in plugin.settings and "error" in doc:
            doc["error"]["stack_trace"] = doc["error"]["stack_trace"].strip()
    return doc


@pytest.mark.parametrize("fixture", ["oslo_traceback", "oslo_eras", "oslo_messages"])
def test_oslo_branch_extracts_what_the_built_in_parser_does(
    fixture: str, files: dict[str, str], library: PatternLibrary
) -> None:
    conf = parse(files["osmon-files-ctl1.conf"])
    lines = (LOGS / f"{fixture}.log").read_text().splitlines()
    c = rule("oslo").continuation
    assert c is not None
    entries = _entries(lines, library.compile(c.grok).regex, c.negate)
    builtin = _builtin("oslo", lines)
    for entry, want in zip(entries, builtin, strict=True):
        got = _run_oslo_branch("\n".join(entry), conf, library)
        assert got["log"] == want["log"]
        assert got["message"] == want["message"]
        assert got.get("openstack") == want.get("openstack")
        assert got.get("error", {}).get("stack_trace") == want.get("error", {}).get("stack_trace")
        assert got.get("error") == want.get("error")
        for key in ("http", "url", "source"):
            assert got.get(key) == want.get(key), key


# --- the infrastructure formats the example inventory does not use ------------------------------

_INFRA_SAMPLES = {
    "postgresql": (
        "2026-11-23 21:20:00.123 UTC [8700] nova@nova LOG:  duration: 0.123 ms  statement: SELECT 1"
    ),
    "redis": "2203:M 23 Nov 2026 21:08:19.173 * Ready to accept connections",
    "nagios": "[1795470559] SERVICE ALERT: ctl1;nova-api;CRITICAL;HARD;3;CRITICAL - refused",
}


@pytest.fixture(scope="module")
def infra_files() -> dict[str, str]:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["infrastructure"].update({"postgresql": {}, "redis": {}, "nagios": {"hosts": ["ctl1"]}})
    return generate_logstash(expand(load_text(yaml.safe_dump(data))))


def _branch(conf: _Parser, fmt: str) -> list[Plugin]:
    return [p for p in conf.plugins if f'format] == "{fmt}"' in " ".join(p.conditions)]


def test_infra_formats_are_parsed_with_the_shared_patterns(
    infra_files: dict[str, str], library: PatternLibrary
) -> None:
    conf = parse(infra_files["osmon-beats.conf"])
    for fmt, line in _INFRA_SAMPLES.items():
        branch = _branch(conf, fmt)
        groks = [p for p in branch if p.name == "grok"]
        assert groks, fmt
        (expr,) = groks[0].settings["match"].values()
        got = library.compile(expr).search(line, metadata=True)
        want = _builtin(fmt, [line])[0]
        assert got is not None, fmt
        assert got["@metadata"]["timestamp"], fmt
        for key in ("process", "user", "postgresql", "nagios"):
            assert got.get(key) == want.get(key), (fmt, key)
        assert not any(p.settings.get("add_tag") == ["_osmon_unparsed"] for p in branch), fmt
        assert any(p.name == "date" for p in branch), fmt
    translate = [p for p in _branch(conf, "redis") if p.name == "translate"]
    assert {p.settings["source"] for p in translate} == {"[log][level]", "[redis][log][role]"}
    level = next(p for p in translate if p.settings["source"] == "[log][level]")
    assert level.settings["dictionary"]["*"] == "NOTICE"
    dates = [p for p in _branch(conf, "postgresql") if p.name == "date"]
    zones = {"%{[@metadata][timezone]}", expand(load(EXAMPLE)).log_timezone}
    assert {d.settings["timezone"] for d in dates} == zones
    gsub = next(p for p in _branch(conf, "postgresql") if "gsub" in p.settings)
    _, pattern, _ = gsub.settings["gsub"]
    lines = (LOGS / "postgresql.log").read_text().splitlines()
    joined = "\n".join(lines[5:8])
    stripped = re.sub(pattern, "", joined)
    assert stripped.splitlines()[1:] == [ln.split("gnocchi_dev ", 1)[1] for ln in lines[6:8]]


def test_infra_pipelines_name_only_defined_patterns(
    infra_files: dict[str, str], library: PatternLibrary
) -> None:
    for name, text in infra_files.items():
        if name.endswith(".conf"):
            for expr in _grok_expressions(parse(text)):
                missing = [n for n in re.findall(r"%\{([A-Za-z0-9_]+)", expr) if n not in library]
                assert not missing, (name, expr)
                library.compile(expr)


# --- writing, CLI and staleness -----------------------------------------------------------------


def test_write_tree_prunes_only_generated_files(tmp_path: Path) -> None:
    (tmp_path / "mine.conf").write_text("hand written\n")
    (tmp_path / "osmon-files-old.conf").write_text(f"# {MARKER} (`x`)\n")
    report = write_tree(tmp_path, {"a.conf": f"# {MARKER}\n", "sub/b.yml": f"# {MARKER}\n"})
    assert report.written == ["a.conf", "sub/b.yml"]
    assert report.removed == ["osmon-files-old.conf"]
    assert (tmp_path / "mine.conf").read_text() == "hand written\n"
    again = write_tree(tmp_path, {"a.conf": f"# {MARKER}\n", "sub/b.yml": f"# {MARKER}\n"})
    assert again.unchanged == ["a.conf", "sub/b.yml"] and not again.written
    with pytest.raises(ValueError, match="outside"):
        write_tree(tmp_path, {"../x": "y"})


def test_cli_reports_bad_inventory_without_traceback(tmp_path: Path) -> None:
    bad = Path(__file__).resolve().parents[1] / "fixtures" / "inventory" / "unknown_key.yaml"
    result = CliRunner().invoke(generate, ["logstash", "-i", str(bad), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:")
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_cli_check_mode(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["logstash", "-i", str(EXAMPLE), "-o", str(tmp_path)]
    assert runner.invoke(generate, [*args, "--check"]).exit_code == 1
    assert runner.invoke(generate, args).exit_code == 0
    assert runner.invoke(generate, [*args, "--check"]).exit_code == 0
    (tmp_path / "pipelines.yml").write_text("# changed\n")
    result = runner.invoke(generate, [*args, "--check"])
    assert result.exit_code == 1 and "pipelines.yml" in result.stderr


def test_checked_in_pipelines_are_current(tmp_path: Path) -> None:
    result = CliRunner().invoke(generate, ["logstash", "-i", str(EXAMPLE), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    fresh = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    checked = {p.relative_to(CHECKED_IN).as_posix() for p in CHECKED_IN.rglob("*") if p.is_file()}
    stale = sorted(
        rel
        for rel in fresh | checked
        if rel not in fresh
        or rel not in checked
        or (tmp_path / rel).read_bytes() != (CHECKED_IN / rel).read_bytes()
    )
    assert not stale, f"logstash/pipelines is stale ({', '.join(stale)}); run: {REFRESH}"
