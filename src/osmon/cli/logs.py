"""``osmon logs``: parse log files the way the daemon does, to debug patterns.

``osmon logs ship`` lives in its own module (``osmon.cli.ship``) and is mounted on this group.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import click

from osmon.logs.formats import ALIASES, FORMATS
from osmon.logs.parser import PARSE_FAILURE, LogParser
from osmon.logs.timestamps import zone

_REPORT_MAX = 20


def _dumps() -> Callable[[Any], bytes]:
    """orjson when installed (about 10x faster here), the stdlib otherwise.

    The stdlib encoder escapes non-ASCII: its ASCII path is twice as fast as the other.
    """
    try:
        import orjson
    except ImportError:
        import json

        enc = json.JSONEncoder(separators=(",", ":"), check_circular=False)
        return lambda doc: enc.encode(doc).encode("ascii")
    return orjson.dumps


def _lines(stream: BinaryIO) -> Iterator[tuple[int, str, int]]:
    """(line number, text without newline, byte offset) with invalid UTF-8 replaced."""
    offset = 0
    for lineno, raw in enumerate(stream, 1):
        n = len(raw)
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        yield lineno, raw.decode("utf-8", "replace"), offset
        offset += n


@click.group("logs")
def logs() -> None:
    """Parse and ship OpenStack and infrastructure logs."""


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    return value


@logs.command("parse")
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", *FORMATS, *ALIASES]),
    help="Log format of the files.",
)
@click.option("--service", default="", help="service.name (default: from the file name).")
@click.option("--host", default="", help="host.name to add to every document.")
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    callback=_check_timezone,
    help="Zone of timestamps written without an offset.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
def parse(fmt: str, service: str, host: str, timezone: str, files: tuple[str, ...]) -> None:
    """Print one ECS document (JSON) per log entry of FILES ('-' for stdin).

    Lines that do not parse are printed too, tagged _grokparsefailure, and listed on stderr;
    the exit status stays 0 for them (1 only when a file cannot be read).
    """
    dumps = _dumps()
    out: BinaryIO = sys.stdout.buffer
    failed_files = 0
    for name in files:
        path = "" if name == "-" else name
        parser = LogParser(fmt, service=service, host=host, timezone=timezone, path=path)
        try:
            stream: BinaryIO = (
                sys.stdin.buffer if name == "-" else open(name, "rb")  # noqa: SIM115
            )
        except OSError as exc:
            click.echo(f"osmon logs parse: cannot read {name}: {exc.strerror or exc}", err=True)
            failed_files += 1
            continue
        bad: list[int] = []
        buf: list[bytes] = []
        try:
            for lineno, text, offset in _lines(stream):
                for e in parser.feed(text, offset):
                    if e.offset == offset and PARSE_FAILURE in e.doc.get("tags", ()):
                        bad.append(lineno)
                    buf.append(dumps(e.doc))
                if len(buf) >= 1024:
                    _write(out, buf)
        except OSError as exc:
            click.echo(f"osmon logs parse: error reading {name}: {exc.strerror or exc}", err=True)
            failed_files += 1
        finally:
            if name != "-":
                stream.close()
        buf.extend(dumps(e.doc) for e in parser.flush())
        _write(out, buf)
        if bad:
            where = ", ".join(f"{name}:{n}" for n in bad[:_REPORT_MAX])
            more = f" (and {len(bad) - _REPORT_MAX} more)" if len(bad) > _REPORT_MAX else ""
            click.echo(
                f"osmon logs parse: {len(bad)} line(s) did not parse as {parser.format_name}, "
                f"tagged {PARSE_FAILURE}: {where}{more}",
                err=True,
            )
    out.flush()
    if failed_files:
        sys.exit(1)


def _write(out: BinaryIO, buf: list[bytes]) -> None:
    if buf:
        out.write(b"\n".join(buf) + b"\n")
        buf.clear()


def _mount_ship() -> None:
    from osmon.cli.ship import ship_command

    logs.add_command(ship_command)


_mount_ship()
