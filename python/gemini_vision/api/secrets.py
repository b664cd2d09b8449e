"""Credentials scrubbed by value, not by shape (SPEC R3).

A key that does not look like a Google key (a proxy's own key, a token of any
form) is still a secret. The client knows exactly which credentials it sends:
``request_secrets`` reads them off each request (every credential header, the
token inside ``Bearer <token>``, credential query parameters whose names are
compared after percent-decoding), and ``scrub_response`` /
``scrub_transport_error`` remove every one of them, as given and URL-encoded,
from what comes back before anything parses it — so no error message,
``ApiError.details``, repr or log line can carry one, whatever it looks like.

>>> from gemini_vision.wire.http import HttpRequest, HttpResponse
>>> request = HttpRequest("POST", "https://proxy.test/v1beta/x", {"x-goog-api-key": "pk-12/34"})
>>> forms = request_secrets(request)
>>> answer = HttpResponse(403, {}, b'{"error": {"message": "bad key pk-12%2F34"}}')
>>> scrub_response(answer, forms).body
b'{"error": {"message": "bad key <redacted>"}}'
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote_plus

from gemini_vision.errors import TransportError
from gemini_vision.wire.http import (
    REDACTED,
    HttpRequest,
    HttpResponse,
    is_secret_header,
    is_secret_param,
    scrub_values,
    secret_forms,
)

__all__ = ["request_secrets", "scrub_response", "scrub_transport_error"]


def request_secrets(request: HttpRequest, extra: Iterable[str | None] = ()) -> list[str]:
    """Every form (see ``secret_forms``) of the credentials ``request`` carries, plus ``extra``.

    >>> request_secrets(HttpRequest("GET", "https://h/x?%6Bey=abcd", {"Authorization": "Bearer tok1"}))
    ['Bearer%20tok1', 'Bearer tok1', 'Bearer+tok1', 'abcd', 'tok1']
    """  # noqa: E501
    found: list[str | None] = list(extra)
    for name, value in request.headers.items_all():
        if is_secret_header(name):
            found.append(value)
            _, _, token = value.partition(" ")
            found.append(token.strip() if token else None)
    query = request.url.partition("?")[2].partition("#")[0]
    for pair in query.replace(";", "&").split("&"):
        name, _, value = pair.partition("=")
        if value and is_secret_param(name):
            found += [value, unquote_plus(value)]
    return secret_forms(found)


def scrub_response(response: HttpResponse, forms: list[str]) -> HttpResponse:
    """``response`` with every secret form replaced in its body and header values."""
    if not forms:
        return response
    body = response.body
    for form in forms:
        body = body.replace(form.encode("utf-8"), REDACTED.encode("ascii"))
    headers = [(n, scrub_values(v, forms)) for n, v in response.headers.items_all()]
    if body == response.body and all(
        a == b for a, b in zip(headers, response.headers.items_all(), strict=True)
    ):
        return response
    return HttpResponse(response.status, headers, body)


def scrub_transport_error(error: TransportError, forms: list[str]) -> TransportError:
    """``error`` with the secret forms removed from its message (in place)."""
    if forms:
        error.args = tuple(
            scrub_values(arg, forms) if isinstance(arg, str) else arg for arg in error.args
        )
    return error
