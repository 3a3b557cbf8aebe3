"""Fuzzing the parser: any bytes give documents or tagged raw records, never an exception,
and every non-blank line ends up in exactly one entry."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from osmon.logs.formats import FORMATS
from osmon.logs.parser import Entry, LogParser, SplitEntry

SEEDS = [
    b"2024-02-14 16:46:00.101 4242 INFO a.b [-] fine",
    b"2024-02-14 16:46:00.101 4242 ERROR a.b Traceback (most recent call last):",
    b"2024-02-14 16:46:00.101 4242 DEBUG a.b [None req-1 u p - - - -] x f /a.py:3",
    b'10.0.0.1 - - [14/Feb/2024:16:46:00 +0000] "GET / HTTP/1.1" 200 5 "-" "c"',
    b"=INFO REPORT==== 14-Feb-2016::16:46:00 ===",
    b"2024-02-14 16:46:00.118297+00:00 [info] <0.1.0> hi",
    b"170501  9:05:03 [Note] WSREP: x",
    b"Feb 14 16:46:00 h p[1]: ERROR a.b x",
    b"[Wed Feb 14 16:46:00 2024] [error] x",
    b"2026-11-23 21:00:00.123 UTC [1234] nova@nova LOG:  duration: 0.123 ms  statement: x",
    b"2026-11-23 21:00:00.123 CEST [1234] nova@nova DETAIL:  Key (id)=(1) already exists.",
    b"\tVALUES (1, 2)",
    b"2203:M 23 Nov 2026 21:08:19.173 * Ready to accept connections",
    b"[1234] 23 Nov 21:00:00.123 # Server started",
    b"[1700000000] SERVICE ALERT: h;s;CRITICAL;HARD;1;output",
    b"[1700000000] EXTERNAL COMMAND: PROCESS_HOST_CHECK_RESULT;h;0;ok",
    b'{"levelname": "INFO", "message": "m", "created": 1700000000.5, "context": {}}',
    b'{"@timestamp": "2024-02-14T16:46:00Z", "log.level": "info", "log": 3, "message": 1}',
    b"  indented",
    b"",
]
LINES = st.lists(
    st.one_of(
        st.sampled_from(SEEDS),
        st.binary(max_size=120),
        st.sampled_from(SEEDS).flatmap(
            lambda s: st.integers(0, max(len(s) - 1, 0)).map(lambda k: s[:k] + b"\xff" + s[k + 1 :])
        ),
    ),
    max_size=25,
)


def owns(e: Entry, off: int) -> bool:
    if isinstance(e, SplitEntry):
        return e.offset <= off < e.head_end or off in e.starts
    return e.offset <= off < e.end


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["auto", *FORMATS]), LINES)
def test_any_bytes_in_documents_out(fmt: str, raw_lines: list[bytes]) -> None:
    parser = LogParser(fmt, host="h", timezone="Europe/Paris", path="/x.log")
    entries = []
    offset = 0
    texts = []
    for raw in raw_lines:
        for piece in raw.split(b"\n"):
            text = piece.decode("utf-8", "surrogateescape")
            texts.append((text, offset))
            entries += parser.feed(text, offset)
            offset += len(piece) + 1
    entries += parser.flush()
    for e in entries:
        doc = e.doc
        assert isinstance(doc["@timestamp"], str)
        assert isinstance(doc["event"]["original"], str)
        assert "message" in doc or "log" in doc
        json.dumps(doc)
        assert e.offset < e.end <= offset
    starts = [e.offset for e in entries]
    assert starts == sorted(starts)
    # every non-blank line is inside exactly one entry (interleaved writers: one SplitEntry)
    for text, off in texts:
        if text.strip():
            assert sum(1 for e in entries if owns(e, off)) == 1
    assert parser.parsed + parser.unparsed == len(entries)
