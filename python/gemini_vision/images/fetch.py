"""An image from a URL, as a request to send and a parser of the answer (I5).

The guide's recipe fetches the image, checks the ``Content-Type`` and sends
the bytes inline. Here that is two pure functions around the caller's
transport: ``build_image_fetch(url)`` makes the GET, ``parse_image_fetch``
turns the response into an ``ImagePart``. The client (``Client.fetch_image``)
runs the GET through the same transport and retry policy as API calls.

What is checked, in order:

1. the URL is ``http`` or ``https`` (no ``file:``, ``ftp:``, ``data:``...);
2. the status is 2xx -- otherwise the matching ``ApiError`` subclass
   (404 -> ``NotFoundError``, 503 -> ``UnavailableError``...), so the retry
   policy treats a flaky image host like a flaky API;
3. the ``Content-Type`` is ``image/*``, ``application/octet-stream`` or
   absent -- an HTML login page or a JSON error is a ``ProtocolError``;
4. the body is not larger than ``max_bytes``;
5. the bytes are sniffed: the sniffed type is what is sent. A server that
   labels a JPEG ``image/png`` is common and harmless; a server that labels a
   GIF ``image/jpeg`` still gets the unsupported-type ``LocalError``.

>>> from gemini_vision.wire.http import HttpResponse
>>> request = build_image_fetch("https://example.test/cat.png")
>>> request.method, request.headers["accept"]
('GET', 'image/png, image/jpeg, image/webp, image/heic, image/heif;q=0.9, */*;q=0.1')
>>> parse_image_fetch(HttpResponse(200, {"content-type": "text/html"}, b"<html>"), url=request.url)
Traceback (most recent call last):
...
gemini_vision.errors.ProtocolError: https://example.test/cat.png answered text/html, not an image: <html>
"""  # noqa: E501

from __future__ import annotations

from urllib.parse import urlsplit

from gemini_vision.errors import LocalError, ProtocolError, api_error_class
from gemini_vision.images.inputs import ImagePart, image_part
from gemini_vision.wire.http import HttpRequest, HttpResponse, parse_retry_after, redact_url

__all__ = ["MAX_FETCH_BYTES", "build_image_fetch", "parse_image_fetch"]

#: Larger images cannot be sent inline anyway (the request limit is 20 MB).
MAX_FETCH_BYTES = 20_000_000

_ACCEPT = "image/png, image/jpeg, image/webp, image/heic, image/heif;q=0.9, */*;q=0.1"
_NEUTRAL_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def build_image_fetch(url: str) -> HttpRequest:
    """The GET request that fetches an image.

    Raises:
        LocalError: the URL is not an absolute ``http``/``https`` URL.

    >>> build_image_fetch("file:///x")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: url: only http and https image URLs can be fetched, got 'file:///x'
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise LocalError(
            f"url: only http and https image URLs can be fetched, got {redact_url(url)!r}"
        )
    return HttpRequest("GET", url, {"Accept": _ACCEPT}, idempotent=True)


def parse_image_fetch(
    response: HttpResponse,
    *,
    url: str,
    mime_type: str | None = None,
    apply_orientation: bool | None = None,
    max_bytes: int = MAX_FETCH_BYTES,
) -> ImagePart:
    """The ``ImagePart`` for a fetched image, after checking status, type, size and bytes.

    Args:
        response: what the server answered to ``build_image_fetch(url)``.
        url: the URL fetched (for messages and ``ImagePart.source``).
        mime_type: the type the caller expects (an error if the bytes disagree).
        apply_orientation: as for ``image_part``.
        max_bytes: refuse larger bodies.

    Raises:
        ApiError: a non-2xx status (the subclass follows the status).
        ProtocolError: the server sent something that is not an image, or too much.
        LocalError: the bytes are an unsupported or malformed image.

    >>> parse_image_fetch(HttpResponse(404, {}, b"gone"), url="https://h/x.png")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.NotFoundError: HTTP 404: fetching https://h/x.png failed: gone
    """
    shown = redact_url(url)
    if not response.is_success:
        preview = response.body[:200].decode("utf-8", "replace").strip()
        error_class = api_error_class(None, response.status)
        raise error_class(
            f"fetching {shown} failed" + (f": {preview}" if preview else ""),
            http_status=response.status,
            retry_delay=parse_retry_after(response.headers),
        )
    declared = response.content_type
    if not (declared.startswith("image/") or declared in _NEUTRAL_TYPES):
        preview = response.body[:80].decode("utf-8", "replace").strip()
        raise ProtocolError(f"{shown} answered {declared}, not an image: {preview}")
    if len(response.body) > max_bytes:
        raise ProtocolError(
            f"{shown} answered {len(response.body)} bytes, more than the limit of {max_bytes}"
        )
    part = image_part(response.body, mime_type=mime_type, apply_orientation=apply_orientation)
    return part.with_source(shown)
