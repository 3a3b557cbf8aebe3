"""The package's lazy exports stay functions even after their modules were imported directly."""

from __future__ import annotations

import importlib


def test_expand_is_the_function_after_submodule_import() -> None:
    importlib.import_module("osmon.inventory.derive")
    importlib.import_module("osmon.inventory.loader")
    from osmon.inventory import expand, load

    assert callable(expand) and expand.__name__ == "expand"
    assert callable(load) and load.__name__ == "load"
