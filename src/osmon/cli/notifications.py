"""``osmon notifications``: replay notification files, check meter and event definitions, try
them on notification files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

DEFAULT_URL = "rabbit://guest:guest@127.0.0.1:5672/"


@click.group()
def notifications() -> None:
    """OpenStack notifications (oslo.messaging)."""


@notifications.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--transport-url",
    envvar="OSMON_TRANSPORT_URL",
    default=DEFAULT_URL,
    show_default=True,
    help="oslo.messaging URL; prefer the OSMON_TRANSPORT_URL variable for real credentials.",
)
@click.option(
    "--topic",
    help="Topic (default: versioned_notifications for Nova versioned "
    "payloads, notifications otherwise).",
)
@click.option("--exchange", help="Control exchange (default: from the publisher/event type).")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="At most N notifications per second.",
)
@click.option(
    "--repeat",
    "--count",
    "repeat",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Publish the whole set this many times.",
)
def replay(
    files: tuple[Path, ...],
    transport_url: str,
    topic: str | None,
    exchange: str | None,
    rate: float | None,
    repeat: int,
) -> None:
    """Publish notification FILES (JSON; Nova's $ref samples are resolved) through a Notifier."""
    from osmon.notifications.replay import Publisher, ReplayError, load_notifications, replay
    from osmon.redact import redact_url

    try:
        found = load_notifications(files)
        publisher = Publisher(transport_url, topic=topic, exchange=exchange)
        try:
            sent = replay(found, publisher, rate=rate, repeat=repeat)
        finally:
            publisher.close()
    except ReplayError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"published {sent} notifications to {redact_url(transport_url)}")


@notifications.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Validate definition FILES (default: the shipped ones): Ceilometer meters.yaml (a mapping
    with a 'metric' list) or event_definitions.yaml (a list), told apart by their shape; exit 1
    when a definition is skipped."""
    from osmon.notifications import event_definitions, meters

    if not files:
        try:
            found = len(meters.load_definitions())
            events = event_definitions.load_definitions(drop_unmatched=True)
        except (meters.DefinitionError, event_definitions.EventDefinitionError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{found} meter definitions OK, {len(events)} event definitions OK")
        return
    failed = False
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{path}: cannot read: {exc}") from None
        try:
            if _is_event_file(text):
                loaded = event_definitions.parse_definitions(
                    text, str(path), drop_unmatched=True, warn=False
                )
                for problem in loaded.problems:
                    click.echo(problem, err=True)
                failed = failed or bool(loaded.problems)
                click.echo(f"{path}: {len(loaded)} event definitions loaded")
            else:
                metered = meters.parse_definitions(text, str(path))
                for warning in metered.warnings:
                    click.echo(warning, err=True)
                failed = failed or bool(metered.skipped)
                skipped = f", {metered.skipped} skipped" if metered.skipped else ""
                click.echo(f"{path}: {len(metered)} meter definitions OK{skipped}")
        except (meters.DefinitionError, event_definitions.EventDefinitionError) as exc:
            click.echo(str(exc), err=True)
            failed = True
    if failed:
        sys.exit(1)


def _is_event_file(text: str) -> bool:
    """Event definitions are a top-level YAML list; meter definitions a mapping."""
    from osmon import yamldoc

    return isinstance(yamldoc.parse(text).data, list)


@notifications.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--meters",
    "meter_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="meters.yaml to use instead of the shipped definitions.",
)
@click.option(
    "--events",
    "event_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="event_definitions.yaml to use instead of the shipped definitions.",
)
def convert(
    files: tuple[Path, ...], meter_files: tuple[Path, ...], event_files: tuple[Path, ...]
) -> None:
    """Show the samples and event each notification FILE yields (no broker), as JSON lines.

    Any exchange is converted (an offline tool needs no inventory), and the notification's own
    metadata (message_id, timestamp) is kept."""
    from osmon.notifications.convert import ConversionError, Converter
    from osmon.notifications.event_definitions import EventDefinitionError
    from osmon.notifications.event_definitions import load_definitions as load_events
    from osmon.notifications.meters import DefinitionError, load_definitions
    from osmon.notifications.replay import ReplayError, load_notifications

    try:
        converter = Converter(
            load_definitions(list(meter_files)),
            events=load_events(list(event_files)),
            accept_unknown_exchange=True,
        )
        found = load_notifications(files)
    except (DefinitionError, EventDefinitionError, ReplayError) as exc:
        raise click.ClickException(str(exc)) from None
    failed = 0
    for n in found:
        message = {
            "ctxt": n.ctxt,
            "publisher_id": n.publisher_id,
            "event_type": n.event_type,
            "payload": n.payload,
            "metadata": n.metadata,
        }
        try:
            conv = converter.convert(message, n.priority)
        except ConversionError as exc:
            failed += 1
            click.echo(f"{n.origin}: {exc}", err=True)
            continue
        out = {
            "origin": n.origin,
            "exchange": conv.exchange,
            "samples": [s.to_wire() for s in conv.samples],
            "event": None if conv.event is None else conv.event.to_wire(),
        }
        click.echo(json.dumps(out, default=str))
    if failed:
        sys.exit(1)
