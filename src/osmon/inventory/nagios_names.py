"""What would make the generated Nagios objects invalid, caught when the inventory is loaded.

Nagios finds these only when it reads its configuration (or at the next restart); checked here
they come out of ``osmon inventory validate`` at the inventory's line instead: host ``parents``
that are undefined, the host itself or a cycle; names holding Nagios' default
``illegal_object_name_chars``; free-text values (alias, pager, e-mail) that would break an
object file.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from osmon.inventory.model import Inventory

__all__ = ["ILLEGAL_NAME_CHARS", "check"]

#: Nagios' default ``illegal_object_name_chars`` (nagios.cfg); control characters are refused too.
ILLEGAL_NAME_CHARS = "`~!$%^&*|'\"<>?,()="

Finding = tuple[tuple[Hashable, ...], str]


def _illegal(name: str) -> str | None:
    bad = sorted({c for c in name if c in ILLEGAL_NAME_CHARS or not c.isprintable()})
    return "".join(bad) or None


def _names(inv: Inventory) -> Iterator[tuple[tuple[Hashable, ...], str, str]]:
    yield ("cloud", "name"), inv.cloud.name, "host name"
    for host in inv.hosts:
        yield ("hosts", host), host, "host name"
    for contact, spec in inv.contacts.items():
        yield ("contacts", contact), contact, "contact name"
        for index, group in enumerate(spec.contact_groups):
            yield ("contacts", contact, "contact_groups", index), group, "contact group"


def _parents(inv: Inventory) -> Iterator[Finding]:
    for host, spec in inv.hosts.items():
        for index, parent in enumerate(spec.parents):
            path = ("hosts", host, "parents", index)
            if parent == host:
                yield path, f"host '{host}' cannot be its own parent"
            elif parent not in inv.hosts:
                yield path, f"undefined host '{parent}' in parents of '{host}'"
    for host in inv.hosts:
        seen = [host]
        todo = [p for p in inv.hosts[host].parents if p in inv.hosts and p != host]
        while todo:
            current = todo.pop()
            if current == host:
                yield (
                    ("hosts", host, "parents"),
                    f"host '{host}' is its own ancestor (parents loop)",
                )
                break
            if current in seen:
                continue
            seen.append(current)
            todo += [p for p in inv.hosts[current].parents if p in inv.hosts]


def check(inv: Inventory) -> Iterator[Finding]:
    """Every problem that would make Nagios reject or misread the generated objects."""
    for path, name, what in _names(inv):
        bad = _illegal(name)
        if bad is not None:
            yield path, f"{what} {name!r} holds characters Nagios refuses in names: {bad!r}"
    for contact, spec in inv.contacts.items():
        for key in ("full_name", "pager", "email"):
            value = getattr(spec, key)
            if value is not None and not value.isprintable():
                path = ("contacts", contact, key)
                yield path, f"{key} of contact '{contact}' must be one line of printable text"
    yield from _parents(inv)
