"""osmon: one inventory in, metrics, events and logs out for an OpenStack control plane."""

__version__ = "0.1.0"
