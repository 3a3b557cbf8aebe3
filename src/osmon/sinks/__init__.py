"""Sinks: deliver batches of records to one backend. They never import a source."""
