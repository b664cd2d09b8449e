"""HTTP requests and responses as plain values (W1).

The sans-I/O core builds ``HttpRequest`` values and parses ``HttpResponse``
values; a transport (outside the core) carries one to the other. Neither type
does any I/O. Header names are case-insensitive, keep their order and the case
they were given in, and may repeat. Secrets (API keys, bearer tokens, cookies)
are only ever carried in headers, and every ``repr``/``str`` here redacts them,
so printing or logging a request never leaks a credential (W2, R3).

>>> req = HttpRequest("POST", "https://example.test/v1beta/models/m:generateContent",
...                   {"X-Goog-Api-Key": "sekret", "Content-Type": "application/json"}, b"{}")
>>> req.headers.get("x-goog-api-key")
'sekret'
>>> "sekret" in repr(req) or "sekret" in str(req)
False
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Union, overload
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

from gemini_vision.errors import ProtocolError
from gemini_vision.wire import codec as wire_json

__all__ = [
    "MAX_SERVER_DELAY",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_QUERY_PARAMS",
    "Headers",
    "HeadersLike",
    "HttpRequest",
    "HttpResponse",
    "credential_refusal",
    "is_loopback",
    "is_secret_header",
    "is_secret_param",
    "origin",
    "parse_delay_seconds",
    "parse_header_int",
    "parse_http_date",
    "parse_retry_after",
    "redact_url",
    "scrub_values",
    "secret_forms",
]

#: Header names (lower case) whose values are credentials; recorders reuse this set.
SECRET_HEADERS: frozenset[str] = frozenset(
    {"x-goog-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"}
)
#: Query parameters (lower case) whose values are credentials, should a URL carry one.
SECRET_QUERY_PARAMS: frozenset[str] = frozenset({"key", "access_token", "api_key", "token"})
#: What a secret value is replaced with.
REDACTED = "<redacted>"
#: The longest wait a server hint (``Retry-After``, ``RetryInfo``) is read as: one
#: day. A longer hint is clamped to this (and a retry policy whose ``max_delay``
#: is below it stops instead of waiting).
MAX_SERVER_DELAY = 86_400.0
#: Numeric header values longer than this many digits are not read as numbers.
_MAX_HEADER_DIGITS = 18

HeadersLike = Union["Headers", Mapping[str, str], Iterable[tuple[str, str]], None]

_SECRET_QUERY_RE = re.compile(r"([?&;])([^=&;#]+)=([^&;#]*)")


def is_secret_header(name: str) -> bool:
    """Whether a header carries a credential.

    >>> is_secret_header("Authorization"), is_secret_header("Content-Type")
    (True, False)
    """
    return name.lower() in SECRET_HEADERS


def is_secret_param(name: str) -> bool:
    """Whether a query parameter (as written in a URL, maybe percent-encoded) is a credential.

    >>> is_secret_param("KEY"), is_secret_param("%6Bey"), is_secret_param("api%5Fkey"), is_secret_param("alt")
    (True, True, True, False)
    """  # noqa: E501
    return unquote_plus(name).strip().lower() in SECRET_QUERY_PARAMS


#: Secret values shorter than this are not scrubbed from text (they would mangle it).
MIN_SECRET_LENGTH = 4


def secret_forms(secrets: Iterable[str | None]) -> list[str]:
    """Every way the ``secrets`` may be written in text: as given and URL-encoded
    (``quote`` and ``quote_plus``), longest first, the short ones left out.

    >>> secret_forms(["a b/c=", None, "x"])
    ['a%20b%2Fc%3D', 'a%20b/c%3D', 'a+b%2Fc%3D', 'a b/c=']
    """
    forms: set[str] = set()
    for secret in secrets:
        if not secret or len(secret) < MIN_SECRET_LENGTH or secret == REDACTED:
            continue
        forms.update({secret, quote(secret, safe=""), quote_plus(secret), quote(secret)})
    return sorted(forms, key=lambda s: (-len(s), s))


def scrub_values(text: str, forms: Iterable[str]) -> str:
    """``text`` with every one of ``forms`` (see ``secret_forms``) replaced by ``REDACTED``.

    >>> scrub_values("echo: k%2B12 and k+12", secret_forms(["k+12"]))
    'echo: <redacted> and <redacted>'
    """
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def origin(url: str) -> tuple[str, str, int | None]:
    """A URL's origin: scheme, host (lower case) and port (the scheme's default filled in).

    >>> origin("https://H.test/x?y"), origin("http://h.test:8080/")
    (('https', 'h.test', 443), ('http', 'h.test', 8080))
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port or default


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (``localhost``, 127.0.0.0/8, ``::1``).

    >>> is_loopback("http://127.0.0.1:8000/"), is_loopback("http://[::1]/"), is_loopback("http://h/")
    (True, True, False)
    """
    host = urlsplit(url).hostname or ""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credential_refusal(url: str, configured: str) -> str | None:
    """Why a credential must not go to ``url`` when the client was configured for
    ``configured`` (another origin; plain http to another machine), or None.

    >>> credential_refusal("https://a.test/upload?id=1", "https://a.test/v1beta/files")
    >>> credential_refusal("http://b.test/u", "https://a.test/files")
    'http://b.test/u is not the configured origin https://a.test (and not https)'
    """
    if origin(url) != origin(configured):
        scheme, host, _ = origin(configured)
        plain = "" if url.lower().startswith("https:") else " (and not https)"
        return f"{redact_url(url)} is not the configured origin {scheme}://{host}{plain}"
    if urlsplit(url).scheme.lower() != "https" and not is_loopback(url):
        return f"{redact_url(url)} is plain http to a host that is not this machine"
    return None


def redact_url(url: str) -> str:
    """``url`` with the values of credential query parameters replaced.

    Names are compared after percent-decoding, as a server reads them.

    >>> redact_url("https://h/x?alt=sse&key=abc")
    'https://h/x?alt=sse&key=<redacted>'
    >>> redact_url("https://h/x?%6Bey=abc&api%5Fkey=def")
    'https://h/x?%6Bey=<redacted>&api%5Fkey=<redacted>'
    """

    def repl(match: re.Match[str]) -> str:
        if is_secret_param(match.group(2)):
            return f"{match.group(1)}{match.group(2)}={REDACTED}"
        return match.group(0)

    return _SECRET_QUERY_RE.sub(repl, url)


class Headers(Mapping[str, str]):
    """An immutable, ordered, case-insensitive collection of HTTP header fields.

    As a ``Mapping`` it has one key per distinct name (in first-seen order, with
    the first-seen case) and ``headers[name]`` is the first value; ``get_all``
    returns every value and ``items_all`` every ``(name, value)`` pair.

    >>> h = Headers([("Accept", "a"), ("X-Thing", "1"), ("x-thing", "2")])
    >>> h["ACCEPT"], h.get_all("X-THING"), list(h)
    ('a', ['1', '2'], ['Accept', 'X-Thing'])
    >>> h.replace("accept", "b")["Accept"]
    'b'
    >>> Headers({"A": "1"}) == Headers({"a": "1"})
    True
    """

    __slots__ = ("_index", "_pairs")

    _pairs: tuple[tuple[str, str], ...]
    _index: dict[str, int]

    def __init__(self, headers: HeadersLike = None) -> None:
        if headers is None:
            pairs: tuple[tuple[str, str], ...] = ()
        elif isinstance(headers, Headers):
            pairs = headers._pairs
        elif isinstance(headers, Mapping):
            pairs = tuple((str(k), str(v)) for k, v in headers.items())
        else:
            pairs = tuple((str(k), str(v)) for k, v in headers)
        for name, value in pairs:
            if not name or any(c in name for c in "\r\n:\0") or any(c in value for c in "\r\n\0"):
                # Header injection guard: a newline would split the field on the wire.
                raise ValueError(f"invalid header field {name!r}")
        index: dict[str, int] = {}
        for i, (name, _) in enumerate(pairs):
            index.setdefault(name.lower(), i)
        object.__setattr__(self, "_pairs", pairs)
        object.__setattr__(self, "_index", index)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Headers is immutable; use replace() or merged()")

    def __getitem__(self, name: str) -> str:
        return self._pairs[self._index[name.lower()]][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return (self._pairs[i][0] for i in self._index.values())

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in order (empty when absent)."""
        key = name.lower()
        return [v for n, v in self._pairs if n.lower() == key]

    def items_all(self) -> tuple[tuple[str, str], ...]:
        """Every ``(name, value)`` pair, in order, with the names' original case."""
        return self._pairs

    def replace(self, name: str, value: str | None) -> Headers:
        """A copy with every ``name`` field removed and, unless ``value`` is None, one added."""
        key = name.lower()
        kept = [(n, v) for n, v in self._pairs if n.lower() != key]
        if value is not None:
            kept.append((name, value))
        return Headers(kept)

    def merged(self, other: HeadersLike) -> Headers:
        """A copy where each name present in ``other`` takes ``other``'s values."""
        extra = Headers(other)
        names = {n.lower() for n, _ in extra._pairs}
        kept = [(n, v) for n, v in self._pairs if n.lower() not in names]
        return Headers(kept + list(extra._pairs))

    def redacted(self) -> Headers:
        """A copy with credential values replaced by ``<redacted>``."""
        return Headers((n, REDACTED if is_secret_header(n) else v) for n, v in self._pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._canonical() == other._canonical()
        if isinstance(other, Mapping):
            return self._canonical() == Headers(other)._canonical()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._canonical())

    def _canonical(self) -> tuple[tuple[str, str], ...]:
        return tuple((n.lower(), v) for n, v in self._pairs)

    def __repr__(self) -> str:
        return f"Headers({list(self.redacted()._pairs)!r})"

    __str__ = __repr__


def _body_preview(body: bytes, limit: int = 200) -> str:
    """The first ``limit`` characters of a body, decoded leniently, control chars escaped."""
    text = body[: limit * 4].decode("utf-8", "replace")[:limit]
    cleaned = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(cleaned.split()) + ("…" if len(body) > len(text.encode()) else "")


_DEFAULT_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True, init=False, repr=False)
class HttpRequest:
    """An HTTP request as a frozen value: method, URL, headers, body and idempotency.

    ``idempotent`` says whether sending it twice is harmless; the retry policy
    never re-sends a request for which it is False. It defaults to True for GET,
    HEAD, OPTIONS, PUT and DELETE and False otherwise; builders set it
    explicitly (``generateContent`` POSTs are True, ``tunedModels.create``
    without an id is False).

    >>> r = HttpRequest("get", "https://h/x")
    >>> r.method, r.idempotent, r.body
    ('GET', True, b'')
    >>> HttpRequest("POST", "https://h/x", body=b'{"a": 1}').json()
    {'a': 1}
    """

    method: str
    url: str
    headers: Headers
    body: bytes
    idempotent: bool

    def __init__(
        self,
        method: str,
        url: str,
        headers: HeadersLike = None,
        body: bytes = b"",
        *,
        idempotent: bool | None = None,
    ) -> None:
        if not isinstance(body, bytes):
            raise TypeError(f"body must be bytes, got {type(body).__name__}")
        method = method.upper()
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "headers", Headers(headers))
        object.__setattr__(self, "body", body)
        if idempotent is None:
            idempotent = method in _DEFAULT_IDEMPOTENT
        object.__setattr__(self, "idempotent", bool(idempotent))

    def with_headers(self, headers: HeadersLike) -> HttpRequest:
        """A copy whose headers take the given values (per name)."""
        return dataclasses.replace(self, headers=self.headers.merged(headers))

    def json(self) -> Any:
        """The body parsed as JSON (for tests and recorders)."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        return (
            f"HttpRequest(method={self.method!r}, url={redact_url(self.url)!r}, "
            f"headers={self.headers!r}, body=<{len(self.body)} bytes>, "
            f"idempotent={self.idempotent!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True, slots=True, init=False, repr=False)
class HttpResponse:
    """An HTTP response as a value: status, headers, body.

    >>> r = HttpResponse(200, {"Content-Type": "application/json"}, b'{"ok": true}')
    >>> r.json(), r.is_success, r.content_type
    ({'ok': True}, True, 'application/json')
    """

    status: int
    headers: Headers
    body: bytes

    def __init__(self, status: int, headers: HeadersLike = None, body: bytes = b"") -> None:
        if not isinstance(body, bytes):
            raise TypeError(f"body must be bytes, got {type(body).__name__}")
        object.__setattr__(self, "status", int(status))
        object.__setattr__(self, "headers", Headers(headers))
        object.__setattr__(self, "body", body)

    @property
    def is_success(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case (``""`` when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @overload
    def json(self) -> Any: ...
    @overload
    def json(self, *, what: str) -> Any: ...
    def json(self, *, what: str = "a JSON body") -> Any:
        """The body parsed as JSON, or ``ProtocolError`` saying what came instead.

        >>> HttpResponse(502, {"content-type": "text/html"}, b"<html>Bad gateway</html>").json()
        Traceback (most recent call last):
        ...
        gemini_vision.errors.ProtocolError: the server answered HTTP 502 with text/html, not a JSON body: <html>Bad gateway</html>
        """  # noqa: E501
        try:
            return wire_json.loads(self.body)
        except (ValueError, RecursionError):
            kind = self.content_type or "no content type"
            raise ProtocolError(
                f"the server answered HTTP {self.status} with {kind}, not {what}: "
                f"{_body_preview(self.body) or '<empty body>'}"
            ) from None

    def __repr__(self) -> str:
        return (
            f"HttpResponse(status={self.status}, headers={self.headers!r}, "
            f"body=<{len(self.body)} bytes>)"
        )

    __str__ = __repr__


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_HTTP_DATES = (
    # IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    re.compile(r"[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT"),
    # RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    re.compile(r"[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT"),
)
_ASCTIME = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})")


def parse_http_date(value: str) -> float | None:
    """An HTTP date (RFC 9110: IMF-fixdate, RFC 850 or asctime) as a POSIX timestamp.

    >>> parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
    784111777.0
    >>> parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), parse_http_date("Sun Nov  6 08:49:37 1994")
    (784111777.0, 784111777.0)
    """  # noqa: E501
    value = value.strip()
    fields: tuple[str, ...] | None = None
    for pattern in _HTTP_DATES:
        match = pattern.fullmatch(value)
        if match:
            day, month, year, hh, mm, ss = match.groups()
            if len(year) == 2:  # RFC 9110: a two-digit year more than 50 years ahead is past
                year = ("19" if int(year) >= 50 else "20") + year
            fields = (year, month, day, hh, mm, ss)
            break
    else:
        match = _ASCTIME.fullmatch(value)
        if match:
            month, day, hh, mm, ss, year = match.groups()
            fields = (year, month, day, hh, mm, ss)
    if fields is None or fields[1].lower() not in _MONTHS:
        return None
    year, month, day, hh, mm, ss = fields
    try:
        moment = datetime(
            int(year), _MONTHS[month.lower()], int(day), int(hh), int(mm), int(ss),
            tzinfo=timezone.utc,
        )  # fmt: skip
    except ValueError:
        return None
    return moment.timestamp()


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None.

    A number of seconds is used as is. An HTTP date is measured against ``now``
    when given, else against the response's own ``Date`` header (no clock is
    read here); with neither it is unusable and gives None.

    >>> parse_retry_after({"Retry-After": "120"})
    120.0
    >>> parse_retry_after({"Retry-After": "Sun, 06 Nov 1994 08:49:37 GMT",
    ...                    "Date": "Sun, 06 Nov 1994 08:49:07 GMT"})
    30.0
    """
    if not isinstance(headers, Headers):
        headers = Headers(headers)
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value[:1].isdigit():
        return parse_delay_seconds(value)
    target = parse_http_date(value)
    if target is None:
        return None
    if now is None:
        date = headers.get("date")
        now = parse_http_date(date) if date else None
        if now is None:
            return None
    return min(max(0.0, target - now), MAX_SERVER_DELAY)


def parse_header_int(value: str | None, *, max_digits: int = _MAX_HEADER_DIGITS) -> int | None:
    """A non-negative integer header value, or None unless it is 1 to ``max_digits`` ASCII digits.

    ``str.isdigit`` alone is not enough: ``"²".isdigit()`` is True and ``int("²")``
    raises; a 5,000-digit value makes ``int`` raise too.

    >>> parse_header_int(" 42 "), parse_header_int("²"), parse_header_int("9" * 400), parse_header_int("-1")
    (42, None, None, None)
    """  # noqa: E501
    if value is None:
        return None
    value = value.strip()
    if not (0 < len(value) <= max_digits and value.isascii() and value.isdigit()):
        return None
    return int(value)


def parse_delay_seconds(value: str) -> float | None:
    """A delay in whole seconds (``Retry-After``'s delta-seconds), clamped to ``MAX_SERVER_DELAY``.

    Only ASCII digits count; an over-long run of them is a delay longer than any
    clamp, so it reads as the maximum rather than raising.

    >>> parse_delay_seconds("120"), parse_delay_seconds("9" * 5000), parse_delay_seconds("²")
    (120.0, 86400.0, None)
    """
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        return None
    if len(value) > _MAX_HEADER_DIGITS:
        return MAX_SERVER_DELAY
    return min(float(int(value)), MAX_SERVER_DELAY)
