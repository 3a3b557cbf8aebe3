"""A local asyncio fleet of misbehaving endpoints and the certificates they present, standing in
for the many HTTP(S)/TCP endpoints of a cloud in probe tests. See ``Fleet`` and ``make_pki``."""

from tests.fleet.pki import Pair, Pki, make_pki
from tests.fleet.servers import VERSION_DOCUMENT, Fleet, free_port

__all__ = ["VERSION_DOCUMENT", "Fleet", "Pair", "Pki", "free_port", "make_pki"]
