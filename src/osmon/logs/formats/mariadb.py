"""MariaDB/MySQL error log with Galera (WSREP) lines, in its old and current date forms."""

from __future__ import annotations

from osmon.logs.formats.base import LineFormat, Pending, starts_with_date


class MariadbFormat(LineFormat):
    """Indented lines (Galera state dumps, InnoDB reports) continue the previous entry."""

    name = "mariadb"
    pattern = "%{MARIADB_LINE}"

    def absorb(self, p: Pending, line: str) -> bool:
        if starts_with_date(line):
            return False
        p.add_more(line, line)
        return True
