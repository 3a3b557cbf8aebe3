"""File identity and deterministic document ids from file content.

A log file is identified by the hash of its first ``FINGERPRINT_BYTES`` bytes (or of all of them
while it is shorter): device and inode alone are reused by the filesystem after a deletion, and
copytruncate keeps the inode while replacing the content. Document ids hash the host and the
file's leading bytes *as far as the entry reaches*, so the same entry always gets the same id,
whichever run read it and whenever, and a replay at the backend is an idempotent ``create``.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import Final

FINGERPRINT_BYTES: Final = 1024


def fingerprint(head: bytes) -> str:
    """Hash of at most the first ``FINGERPRINT_BYTES`` bytes of a file."""
    return blake2b(head[:FINGERPRINT_BYTES], digest_size=16).hexdigest()


def doc_id_prefix(host: str, head: bytes) -> str:
    """The hash part of ``doc_id``: the same for every entry ending past the first
    ``FINGERPRINT_BYTES`` bytes of a file, so a reader computes it once per file."""
    h = blake2b(digest_size=12)
    h.update(host.encode("utf-8", "surrogateescape"))
    h.update(b"\0")
    h.update(head[:FINGERPRINT_BYTES])
    return h.hexdigest()


def doc_id(host: str, head: bytes, offset: int) -> str:
    """Id of the entry starting at ``offset``; ``head`` is the file's first bytes up to its end.

    The offset stays readable at the end of the id, which helps when comparing a backend with a
    file by hand.
    """
    return f"{doc_id_prefix(host, head)}-{offset}"
