"""Nagios-side shared code: threshold ranges and the latest-state store.

Nagios plugins import this package on every run, so everything here imports only the standard
library (no pydantic, no oslo, no clients).
"""
