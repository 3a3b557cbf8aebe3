"""Files shipped inside the package (``osmon/data/``), reached through ``importlib.resources``.

Everything osmon reads at run time without being given a path (grok patterns, meter
definitions, the embedded default configuration and its inventory) lives there, so an installed
wheel reads the same bytes as a source checkout and never looks for a checkout. A missing or
unreadable file means a broken installation: ``PackagedDataError`` names it in one line.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

PACKAGE: Final = "osmon"
DATA: Final = "data"


class PackagedDataError(Exception):
    """A file that ships with osmon is missing or unreadable; the message names it."""

    def __init__(self, relative: str, location: object, reason: str) -> None:
        super().__init__(
            f"packaged file {PACKAGE}/{DATA}/{relative} {reason} ({location}); reinstall osmon"
        )
        self.relative = relative


def _data() -> Traversable:
    return resources.files(PACKAGE) / DATA


def _ref(relative: str) -> Traversable:
    ref = _data()
    for part in relative.split("/"):
        ref = ref / part
    return ref


def read_text(relative: str) -> str:
    """The UTF-8 text of ``osmon/data/<relative>`` (``/``-separated)."""
    ref = _ref(relative)
    try:
        return ref.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackagedDataError(relative, ref, "is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackagedDataError(relative, ref, f"is unreadable: {exc}") from None


def path(relative: str) -> Path:
    """The file system path of ``osmon/data/<relative>``, for readers that resolve paths
    relative to it (the default configuration names its inventory beside it)."""
    ref = _ref(relative)
    if not isinstance(ref, Path):
        raise PackagedDataError(relative, ref, "is not on the file system")
    if not ref.exists():
        raise PackagedDataError(relative, ref, "is missing")
    if not ref.is_file():
        raise PackagedDataError(relative, ref, "is not a regular file")
    return ref
