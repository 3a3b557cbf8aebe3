"""Tracebacks of several oslo.log workers interleaved in one file come out whole, per writer,
in file order, with spans whose checkpoints never cut an entry in two."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from osmon.logs.parser import LINGER_LINES, Entry
from osmon.logs.spans import Span
from tests.unit.logs.interleave import (
    Record,
    api_error,
    api_info,
    as_lines,
    conductor_error,
    run,
    stamp,
)


def round_robin(*records: Record) -> list[str]:
    """One line of each record in turn, as workers flushing small writes produce them."""
    out: list[str] = []
    for i in range(max(len(r.lines) for r in records)):
        out += [r.lines[i] for r in records if i < len(r.lines)]
    return out


def originals(out: list[tuple[Entry, Span]]) -> list[str]:
    return [e.doc["event"]["original"] for e, _ in out]


def assert_checkpoints_exact(texts: list[str], out: list[tuple[Entry, Span]]) -> None:
    """After each entry, every line before the checkpoint is in the entries given so far (a
    restart there loses nothing), and where the checkpoint moved, no line after it is (a
    restart there repeats nothing)."""
    lines = as_lines(texts)
    given_lines: Counter[str] = Counter()
    checkpoint = 0
    for e, span in out:
        given_lines.update(e.doc["event"]["original"].split("\n"))
        before = Counter(ln.text for ln in lines if ln.start < span.end and ln.text.strip())
        assert before <= given_lines
        if span.end > checkpoint:
            checkpoint = span.end
            later = Counter(ln.text for ln in lines if ln.start >= checkpoint)
            assert not (later & given_lines)
    assert checkpoint == lines[-1].end


def test_three_nova_api_workers_tracebacks_are_whole() -> None:
    a = api_error(4101, stamp(1), 1)
    b = api_error(4102, stamp(2), 2)
    c = api_info(4103, stamp(3), 3)
    d = api_error(4103, stamp(4), 4)
    texts = round_robin(a, b, c) + round_robin(d, api_info(4101, stamp(5), 5))
    out = run(texts)
    docs = [e.doc for e, _ in out]
    assert originals(out) == ["\n".join(r.lines) for r in (a, b, c, d, api_info(4101, stamp(5), 5))]
    assert [x["process"]["pid"] for x in docs] == [4101, 4102, 4103, 4103, 4101]
    first = docs[0]
    assert first["error"]["type"] == "nova.exception.InstanceNotFound"
    assert first["error"]["stack_trace"].splitlines()[0] == "Traceback (most recent call last):"
    assert first["error"]["stack_trace"].endswith("Instance 1 could not be found.")
    assert first["openstack"]["request_id"] == "req-00000001-1f0e-4d9c-8b7a-6f5e4d3c2b11"
    assert docs[2]["http"]["response"]["status_code"] == 200
    offsets = [e.offset for e, _ in out]
    assert offsets == sorted(offsets)
    assert [s.lines for _, s in out] == [8, 8, 1, 8, 1]
    assert_checkpoints_exact(texts, out)


def test_juno_conductor_workers_with_trace_lines() -> None:
    a = conductor_error(2211, stamp(10), 1)
    b = conductor_error(2212, stamp(10), 2)
    texts = round_robin(a, b)
    out = run(texts)
    assert originals(out) == ["\n".join(a.lines), "\n".join(b.lines)]
    for e, _ in out:
        assert e.doc["error"]["stack_trace"].splitlines()[-1].startswith("NoValidHost:")
    assert_checkpoints_exact(texts, out)


def test_a_stray_line_is_its_own_record_and_the_traceback_stays_whole() -> None:
    a = api_error(4101, stamp(1), 1)
    stray = "2024-05-06 10:11:00 wrapper: worker 4102 respawned"
    orphan = f"{stamp(9)} 4109 ERROR nova.api.openstack.wsgi     raise exc"
    texts = [*a.lines[:3], stray, *a.lines[3:5], orphan, *a.lines[5:]]
    out = run(texts)
    assert originals(out) == ["\n".join(a.lines), stray, orphan]
    assert out[1][0].doc["tags"] == ["_grokparsefailure"]
    assert "tags" not in out[2][0].doc
    assert_checkpoints_exact(texts, out)


def test_bare_lines_join_the_most_recent_entry() -> None:
    a = api_error(4101, stamp(1), 1)
    b = api_error(4102, stamp(2), 2)
    texts = [a.lines[0], b.lines[0], a.lines[1], "  stderr: captured", b.lines[1]]
    out = run(texts)
    assert originals(out) == [
        "\n".join([a.lines[0], a.lines[1], "  stderr: captured"]),
        "\n".join(b.lines[:2]),
    ]


def test_an_entry_left_open_too_long_closes_and_loses_nothing() -> None:
    a = api_error(4101, stamp(1), 1)
    others = [api_info(4102, stamp(100 + i), i).lines[0] for i in range(LINGER_LINES + 5)]
    texts = [*a.lines[:2], *others, *a.lines[2:]]
    out = run(texts)
    got = originals(out)
    assert got[0] == "\n".join(a.lines[:2])
    assert Counter(x for o in got for x in o.split("\n")) == Counter(texts)
    assert_checkpoints_exact(texts, out)


def test_single_writer_logs_are_unchanged() -> None:
    a = api_error(4101, stamp(1), 1)
    b = api_info(4101, stamp(2), 2)
    out = run([*a.lines, *b.lines])
    assert originals(out) == ["\n".join(a.lines), b.lines[0]]
    assert [type(e).__name__ for e, _ in out] == ["Entry", "Entry"]


KINDS: list[Any] = [api_error, api_info, conductor_error]


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[list[Record], list[str]]:
    n_workers = draw(st.integers(2, 3))
    kinds = draw(
        st.lists(
            st.tuples(st.integers(0, n_workers - 1), st.sampled_from(KINDS), st.booleans()),
            min_size=1,
            max_size=12,
        )
    )
    records: list[Record] = []
    queues: list[list[str]] = [[] for _ in range(n_workers)]
    for i, (w, kind, stray) in enumerate(kinds):
        r = kind(5000 + w, stamp(i), i)
        records.append(r)
        queues[w] += r.lines
        if stray:
            queues[w].append(f"2024-05-06 10:11:12 stray line {i}")
    order = draw(st.permutations([w for w, q in enumerate(queues) for _ in q]))
    texts: list[str] = []
    pos = [0] * n_workers
    for w in order:
        texts.append(queues[w][pos[w]])
        pos[w] += 1
    return records, texts


@settings(max_examples=300, deadline=None)
@given(interleavings())
def test_any_interleaving_gives_every_line_to_exactly_one_whole_record(
    case: tuple[list[Record], list[str]],
) -> None:
    records, texts = case
    out = run(texts)
    got = originals(out)
    assert Counter(x for o in got for x in o.split("\n")) == Counter(texts)
    whole = {"\n".join(r.lines) for r in records}
    strays = {t for t in texts if "stray" in t}
    assert set(got) == whole | strays
    offsets = [e.offset for e, _ in out]
    assert offsets == sorted(offsets)
    assert_checkpoints_exact(texts, out)


def test_journald_lines_of_two_nova_compute_processes_join_per_process() -> None:
    """journald keeps each traceback line as its own entry, so two workers' lines interleave
    one by one (``journalctl -o short`` text, the ``syslog_oslo`` format)."""
    host = "Feb 14 16:46:01 cmp1"
    inst = "[instance: 0f8e2d7c-3b4a-4c5d-8e9f-1a2b3c4d5e6f]"
    a = f"{host} nova-compute[31337]: ERROR nova.compute.manager"
    b = f"{host} nova-compute[31338]: ERROR nova.compute.manager"
    c_info = f"{host} nova-compute[31339]: INFO nova.compute.claims"
    texts = [
        f"{a} [None req-1 demo admin] {inst} Instance failed to spawn: PortBindingFailed",
        f"{b} [None req-2 demo admin] Error updating resources for node cmp1.",
        f"{a} {inst} Traceback (most recent call last):",
        f"{b} Traceback (most recent call last):",
        f'{a} {inst}   File "/opt/stack/nova/nova/compute/manager.py", line 2764, in _build',
        f'{b}   File "/opt/stack/nova/nova/compute/manager.py", line 10123, in update',
        f"{c_info} [None req-3 demo admin] Claim successful on node cmp1",
        f"{a} {inst} nova.exception.PortBindingFailed: Binding failed for port 1",
        f"{b} oslo_messaging.exceptions.MessagingTimeout: Timed out",
    ]
    out = run(texts, "syslog_oslo")
    docs = [e.doc for e, _ in out]
    assert [d["process"]["pid"] for d in docs] == [31337, 31338, 31339]
    assert [len(d["event"]["original"].split("\n")) for d in docs] == [4, 4, 1]
    assert docs[0]["error"]["type"] == "nova.exception.PortBindingFailed"
    assert docs[1]["error"]["type"] == "oslo_messaging.exceptions.MessagingTimeout"
    assert docs[2]["log"]["logger"] == "nova.compute.claims"
    assert_checkpoints_exact(texts, out)


def as_journal(text: str) -> str:
    """The same record line as ``journalctl -o short-iso-precise`` shows it (syslog prefix
    with the record's time, no oslo date)."""
    date, time, pid, rest = text.split(" ", 3)
    return f"{date}T{time}000+00:00 ctl1 nova-api[{pid}]: {rest}"


@settings(max_examples=150, deadline=None)
@given(interleavings())
def test_any_journald_interleaving_gives_whole_records(
    case: tuple[list[Record], list[str]],
) -> None:
    records, texts = case
    texts = [as_journal(t) for t in texts if "stray" not in t]
    out = run(texts, "syslog_oslo")
    assert set(originals(out)) == {"\n".join(as_journal(t) for t in r.lines) for r in records}
    assert_checkpoints_exact(texts, out)
