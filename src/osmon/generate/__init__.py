"""Generators: pure functions from the inventory to configuration files for other tools.

Each generator takes the expanded inventory and returns ``{relative path: text}``; nothing else
is read, so the same inventory always gives the same bytes (no dates, no host names, no osmon
version in the output) and the checked-in examples diff cleanly. Writing, and removing files a
previous run generated, is ``osmon.generate.output``'s job.
"""
