"""Apache httpd access and error logs, and uwsgi request lines."""

from __future__ import annotations

from typing import Any

from osmon.logs.formats.base import LineFormat, Pending


class ApacheAccessFormat(LineFormat):
    """Common/combined access log, with kolla keystone's ``%D`` microseconds accepted."""

    name = "apache_access"
    pattern = "%{APACHE_ACCESS}"
    multiline = False

    def complete(self, p: Pending) -> dict[str, Any]:
        p.doc["message"] = p.line
        return super().complete(p)


class ApacheErrorFormat(LineFormat):
    """Error log (2.2 and 2.4 forms); lines not starting with ``[`` continue the entry."""

    name = "apache_error"
    pattern = "%{APACHE_ERROR}"

    def absorb(self, p: Pending, line: str) -> bool:
        if line.startswith("[") and self._match(line):
            return False
        p.add_more(line, line)
        return True


class UwsgiFormat(LineFormat):
    """uwsgi's request log lines; uwsgi's other output does not parse and is tagged."""

    name = "uwsgi"
    pattern = "%{UWSGI_REQUEST}"
    multiline = False

    def complete(self, p: Pending) -> dict[str, Any]:
        p.doc["message"] = p.line
        return super().complete(p)
