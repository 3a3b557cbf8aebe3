"""Nagios-side shared code: threshold ranges, states, perfdata, the latest-state store, and the
plugins' runtime (``runtime``: arguments, timeout, exit code), ``output`` and ``context``
(thresholds); the plugins themselves are in ``plugins/``.

Nagios plugins import this package on every run, so everything here imports only the standard
library (no pydantic, no oslo, no clients); a plugin that runs an osmon probe kind imports it
inside a function, after its arguments were parsed.
"""
