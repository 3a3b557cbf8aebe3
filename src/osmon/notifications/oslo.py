"""Import oslo.messaging without eventlet.

``oslo_messaging.server`` imports ``oslo_service.service``, which loads oslo.service's eventlet
backend unless a backend was chosen first; osmon runs oslo listeners on plain threads.
"""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType


def oslo_messaging() -> ModuleType:
    """The ``oslo_messaging`` module, with oslo.service's threading backend selected."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    warnings.filterwarnings("ignore", message="eventletutils module is deprecated")
    from oslo_service import backend

    if backend.get_backend_type() is None:
        backend.init_backend(backend.BackendType.THREADING)
    return importlib.import_module("oslo_messaging")
