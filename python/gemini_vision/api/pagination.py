"""Listing every page of a paged method (T5), as a sans-I/O iterator.

The reference says the other parameters of a follow-up call must match the
call that provided the page token. A ``Pager`` guarantees it by construction:
each request after the first is the *first request* with only its
``pageToken`` query parameter replaced (same method, URL, headers, every
other parameter). It stops when a page has no ``nextPageToken``, and refuses
a token it has already seen (a server that would loop forever).

>>> from gemini_vision.wire.http import HttpRequest, HttpResponse
>>> pager = Pager(HttpRequest("GET", "https://h/v1beta/tunedModels?pageSize=2&filter=owner%3Ame"),
...               parse=lambda r: Page(tuple(r.json().get("tunedModels", [])),
...                                    r.json().get("nextPageToken")))
>>> pager.next_request().url
'https://h/v1beta/tunedModels?pageSize=2&filter=owner%3Ame'
>>> pager.receive_response(HttpResponse(200, {}, b'{"tunedModels": [1, 2], "nextPageToken": "t"}'))
(1, 2)
>>> pager.next_request().url
'https://h/v1beta/tunedModels?pageSize=2&filter=owner%3Ame&pageToken=t'
>>> pager.receive_response(HttpResponse(200, {}, b'{"tunedModels": [3]}'))
(3,)
>>> pager.next_request() is None
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gemini_vision.api.errors import api_error_from_response
from gemini_vision.errors import LocalError, ProtocolError, as_int
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.model import WireObject, json_type

__all__ = ["Page", "Pager", "check_page_size", "check_page_token", "parse_page", "with_page_token"]

T = TypeVar("T")
W = TypeVar("W", bound=WireObject)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page: its items and the token of the next page (``None`` on the last)."""

    items: tuple[T, ...]
    next_page_token: str | None = None


def parse_page(response: HttpResponse, key: str, cls: type[W]) -> Page[W]:
    """One page of a list method: ``{key: [...], "nextPageToken": ...}`` as a ``Page`` of ``cls``.

    Error statuses raise their ``ApiError``; a malformed page raises
    ``ProtocolError`` naming the JSON path (``files[2].sizeBytes``).

    >>> from gemini_vision.wire.files import File
    >>> page = parse_page(HttpResponse(200, {}, b'{"files": [{"name": "files/a"}]}'), "files", File)
    >>> [f.name for f in page.items], page.next_page_token
    (['files/a'], None)
    """
    if not response.is_success:
        raise api_error_from_response(response)
    payload: Any = response.json(what=f"a {key} list")
    problem = None
    if type(payload) is not dict:
        problem = ("", f"expected an object, got {json_type(payload)}")
    elif type(payload.get(key) or []) is not list:
        problem = (key, f"expected an array, got {json_type(payload[key])}")
    elif type(payload.get("nextPageToken") or "") is not str:
        problem = ("nextPageToken", f"expected a string, got {json_type(payload['nextPageToken'])}")
    if problem is not None:
        raise ProtocolError(problem[1], path=problem[0])
    items = payload.get(key) or ()
    token = payload.get("nextPageToken") or None
    return Page(
        tuple(cls.from_owned_json(item, f"{key}[{i}]") for i, item in enumerate(items)), token
    )


def with_page_token(request: HttpRequest, token: str | None) -> HttpRequest:
    """``request`` with its ``pageToken`` query parameter set to ``token`` (or removed).

    Every other parameter keeps its value and position.

    >>> with_page_token(HttpRequest("GET", "https://h/x?a=1&pageToken=old&b=2"), "new").url
    'https://h/x?a=1&pageToken=new&b=2'
    """
    parts = urlsplit(request.url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k != "pageToken"]
    if token is not None:
        position = next((i for i, (k, _) in enumerate(pairs) if k == "pageToken"), len(kept))
        kept.insert(position, ("pageToken", token))
    url = urlunsplit(parts._replace(query=urlencode(kept)))
    return dataclasses.replace(request, url=url)


class Pager(Generic[T]):
    """Every page of a list call, one request at a time.

    Args:
        first: the request for the first page (it fixes every other parameter).
        parse: response -> ``Page``.
        max_pages: a safety stop against a server that never ends.
    """

    def __init__(
        self,
        first: HttpRequest,
        *,
        parse: Callable[[HttpResponse], Page[T]],
        max_pages: int = 100_000,
    ) -> None:
        if max_pages < 1:
            raise LocalError(f"max_pages: must be at least 1, got {max_pages}")
        self.first = first
        self._parse = parse
        self._max_pages = max_pages
        self._next: HttpRequest | None = first
        self._seen_tokens: set[str] = set()
        self.pages = 0

    @property
    def done(self) -> bool:
        """Whether the last page has been received."""
        return self._next is None

    def next_request(self) -> HttpRequest | None:
        """The request for the next page, or ``None`` when every page was read."""
        return self._next

    def receive_response(self, response: HttpResponse) -> tuple[T, ...]:
        """Feed back the answer to ``next_request()``; returns that page's items."""
        if self._next is None:
            raise LocalError("every page has already been received")
        if not response.is_success:
            raise api_error_from_response(response)
        page = self._parse(response)
        self.pages += 1
        token = page.next_page_token or None
        if token is None:
            self._next = None
        elif token in self._seen_tokens:
            raise ProtocolError(f"the server repeated page token {token[:40]!r}; stopping")
        elif self.pages >= self._max_pages:
            raise LocalError(f"stopped after {self.pages} pages (max_pages)")
        else:
            self._seen_tokens.add(token)
            self._next = with_page_token(self.first, token)
        return page.items


def check_page_size(page_size: object, maximum: int | None = None) -> int | None:
    """A ``pageSize`` to send: ``None`` for 0 or None (the server's default), else the size.

    >>> check_page_size(0), check_page_size(50, 100)
    (None, 50)
    >>> check_page_size("10")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: pageSize: must be an integer (0 for the server's default), got '10'
    """  # noqa: E501
    if page_size is None:
        return None
    try:
        page_size = as_int("pageSize", page_size)
    except LocalError:
        raise LocalError(
            f"pageSize: must be an integer (0 for the server's default), got {page_size!r}"
        ) from None
    if page_size < 0 or (maximum is not None and page_size > maximum):
        top = "" if maximum is None else f" and at most {maximum}"
        raise LocalError(f"pageSize: must be at least 0{top}, got {page_size}")
    return page_size or None


def check_page_token(page_token: object) -> str | None:
    """A ``pageToken`` to send (``None`` or ``""``: the first page).

    >>> check_page_token(5)
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: pageToken: must be a string from a previous page, got 5
    """
    if page_token is None or page_token == "":
        return None
    if not isinstance(page_token, str):
        raise LocalError(f"pageToken: must be a string from a previous page, got {page_token!r}")
    return page_token
