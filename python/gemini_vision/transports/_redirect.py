"""Redirects and URL checks shared by the shipped transports.

The Gemini API never redirects; image hosts (I5) often do. Shipped transports
follow redirects only for GET and HEAD (re-sending a POST body somewhere else
is never what a caller meant), at most ``MAX_REDIRECTS`` times, and drop every
credential header when the redirect leaves the origin -- a key for one host
must never reach another (R3). Both HTTP libraries we build on keep custom
headers such as ``x-goog-api-key`` across origins, hence this module.

>>> req = HttpRequest("GET", "https://a.test/x", {"x-goog-api-key": "k", "Accept": "*/*"})
>>> moved = redirected_request(req, 302, "https://b.test/y")
>>> moved.url, "x-goog-api-key" in moved.headers, moved.headers["accept"]
('https://b.test/y', False, '*/*')
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from gemini_vision.errors import ConnectError, LocalError
from gemini_vision.wire.http import HttpRequest, is_secret_header, redact_url

__all__ = ["MAX_REDIRECTS", "REDIRECT_STATUSES", "check_url", "redirected_request"]

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def check_url(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of an ``http``/``https`` URL, or ``LocalError``.

    >>> check_url("https://example.test/v1beta/models")
    ('https', 'example.test', 443)
    >>> check_url("http://[::1]:8080/x")
    ('http', '::1', 8080)
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise LocalError(
            f"url: only absolute http and https URLs are sent, got {redact_url(url)!r}"
        )
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise LocalError(f"url: invalid port in {redact_url(url)!r}") from None
    return scheme, parts.hostname, port


def _origin(url: str) -> tuple[str, str, int]:
    return check_url(url)


def redirected_request(
    request: HttpRequest, status: int, location: str | None
) -> HttpRequest | None:
    """The request to send after a redirect, or None when it is not to be followed.

    Not followed: a status that is not a redirect, a method other than GET or
    HEAD, or a missing ``Location``. A ``Location`` that is not http(s) is a
    ``ConnectError`` (there is nowhere we may go).

    >>> redirected_request(HttpRequest("POST", "https://a.test/x"), 307, "/y") is None
    True
    """
    if status not in REDIRECT_STATUSES or request.method not in ("GET", "HEAD") or not location:
        return None
    target = urljoin(request.url, location.strip())
    try:
        new_origin = _origin(target)
    except LocalError:
        raise ConnectError(
            f"{redact_url(request.url)} redirected to {redact_url(target)!r}, "
            "which is not an http(s) URL"
        ) from None
    headers = request.headers
    if new_origin != _origin(request.url):
        headers = type(headers)(
            (name, value)
            for name, value in headers.items_all()
            if not is_secret_header(name) and name.lower() != "host"
        )
    return HttpRequest(request.method, target, headers, request.body, idempotent=request.idempotent)
