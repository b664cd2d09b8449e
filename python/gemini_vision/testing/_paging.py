"""Page tokens for the emulator's list methods, strict like the real API's.

A token carries the offset of the next page and a fingerprint of every other
query parameter of the call that produced it; a follow-up call whose other
parameters differ is refused with 400, as the reference says ("all other
parameters must match the call that provided the page token"). ``pageSize``
may change between pages (AIP-158).

>>> items = list(range(25))
>>> first, token = paginate(items, {"filter": ["x"]}, default_size=10, max_size=1000)
>>> first[:3], token is not None
([0, 1, 2], True)
>>> rest, _ = paginate(items, {"filter": ["x"], "pageToken": [token], "pageSize": ["20"]},
...                    default_size=10, max_size=1000)
>>> rest[0], len(rest)
(10, 15)
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TypeVar

from gemini_vision.testing._protocol import ApiFailure

__all__ = ["paginate"]

T = TypeVar("T")
_NOT_FINGERPRINTED = frozenset({"pageToken", "pageSize", "key", "alt", "$alt"})


def _fingerprint(query: Mapping[str, Sequence[str]]) -> str:
    kept = sorted((k, list(v)) for k, v in query.items() if k not in _NOT_FINGERPRINTED)
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:16]


def _page_size(query: Mapping[str, Sequence[str]], default_size: int, max_size: int) -> int:
    raw = (query.get("pageSize") or [""])[0]
    if raw == "":
        return default_size
    try:
        size = int(raw)
    except ValueError:
        raise ApiFailure(400, f"Invalid value at 'page_size' (TYPE_INT32), {raw!r}") from None
    if size < 0:
        raise ApiFailure(400, "page_size must not be negative")
    # 0 means "the default"; above the maximum is capped, as the reference says.
    return default_size if size == 0 else min(size, max_size)


def paginate(
    items: Sequence[T],
    query: Mapping[str, Sequence[str]],
    *,
    default_size: int,
    max_size: int,
) -> tuple[list[T], str | None]:
    """The page of ``items`` the query asks for, and the next page token (``None`` at the end)."""
    size = _page_size(query, default_size, max_size)
    fingerprint = _fingerprint(query)
    token = (query.get("pageToken") or [""])[0]
    offset = 0
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset = int(decoded["o"])
            expected = str(decoded["f"])
        except (ValueError, KeyError, TypeError):
            raise ApiFailure(400, "Invalid page token.") from None
        if expected != fingerprint:
            raise ApiFailure(
                400,
                "The other parameters of a paged list call must match the call that "
                "provided the page token.",
            )
    page = list(items[offset : offset + size])
    next_offset = offset + len(page)
    if next_offset >= len(items):
        return page, None
    raw = json.dumps({"o": next_offset, "f": fingerprint}).encode()
    return page, base64.urlsafe_b64encode(raw).decode()
