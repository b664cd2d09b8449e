"""The emulator's request and response values, and ``google.rpc.Status`` error bodies.

The route handlers (files, tuning, generation) are plain functions from an
``Incoming`` request to an ``HttpResponse`` (or a ``Streamed`` one), so they are
tested without sockets; only ``emulator.py`` touches the network.

>>> response = rpc_error(404, "tunedModels/x is not found")
>>> response.status, response.json()["error"]["status"]
(404, 'NOT_FOUND')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from gemini_vision.wire.http import Headers, HttpResponse
from gemini_vision.wire.status import GRPC_CODE_NAMES, GRPC_CODE_TO_HTTP

__all__ = ["ApiFailure", "Incoming", "Streamed", "json_response", "rpc_error"]

# HTTP status -> google.rpc code name, for errors the emulator raises.
_HTTP_TO_NAME: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    411: "INVALID_ARGUMENT",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_NAME_TO_CODE = {name: code for code, name in GRPC_CODE_NAMES.items()}


@dataclass(frozen=True, slots=True)
class Incoming:
    """One request as the route handlers see it."""

    method: str
    path: str
    query: Mapping[str, Sequence[str]]
    headers: Headers
    body: bytes
    base_url: str

    @classmethod
    def build(
        cls, method: str, target: str, headers: Headers, body: bytes, base_url: str
    ) -> Incoming:
        """Split ``target`` (``/path?query``) into path and query.

        >>> Incoming.build("GET", "/v1beta/files?pageSize=2", Headers(), b"", "http://h").query
        {'pageSize': ['2']}
        """
        path, _, raw_query = target.partition("?")
        return cls(
            method, path, parse_qs(raw_query, keep_blank_values=True), headers, body, base_url
        )

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The body as JSON; an empty body is ``{}``; bad JSON is a 400 ``ApiFailure``.

        Like the real service (whose own guide sends ``{'file': {...}}`` and a
        trailing comma), single-quoted strings and trailing commas are accepted.
        """
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            error = exc
        except RecursionError:
            raise ApiFailure(400, "Invalid JSON payload received: nested too deeply.") from None
        try:
            return json.loads(lenient_json(self.body.decode("utf-8")))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ApiFailure(400, f"Invalid JSON payload received. {error}") from None


def lenient_json(text: str) -> str:
    """``text`` with single-quoted strings double-quoted and trailing commas removed.

    >>> lenient_json("{'file': {'display_name': 'IMAGE'},}")
    '{"file": {"display_name": "IMAGE"}}'
    >>> lenient_json('{"a": [1, 2, ], "b": "x, ]"}')
    '{"a": [1, 2 ], "b": "x, ]"}'
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':  # a JSON string: copied as is, escapes included
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif char == "'":  # a single-quoted string: re-quoted
            j = i + 1
            chars: list[str] = []
            while j < n and text[j] != "'":
                if text[j] == "\\" and j + 1 < n:
                    chars.append(text[j + 1] if text[j + 1] in "'\"" else text[j : j + 2])
                    j += 2
                    continue
                chars.append('\\"' if text[j] == '"' else text[j])
                j += 1
            out.append('"' + "".join(chars) + '"')
            i = j + 1
        elif char == ",":
            k = i + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if k < n and text[k] in "]}":
                i += 1  # a trailing comma
                continue
            out.append(char)
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Streamed:
    """A response sent with chunked transfer encoding, one chunk per item of ``chunks``."""

    status: int
    headers: Headers
    chunks: tuple[bytes, ...]


class ApiFailure(Exception):
    """Raised by route handlers; the server answers it as a ``google.rpc.Status`` body."""

    def __init__(
        self,
        http_status: int,
        message: str,
        *,
        details: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message
        self.details = details
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        """The error response."""
        return rpc_error(self.http_status, self.message, details=self.details, headers=self.headers)


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """A JSON response with ``Content-Type: application/json``.

    >>> json_response({}).body
    b'{}'
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    all_headers = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    return HttpResponse(status, all_headers, body)


def rpc_error(
    http_status: int,
    message: str,
    *,
    status_name: str | None = None,
    details: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """A ``{"error": {code, message, status, details}}`` response, as the API sends.

    >>> rpc_error(429, "slow down").json()["error"]["code"]
    429
    """
    name = status_name or _HTTP_TO_NAME.get(http_status, "UNKNOWN")
    error: dict[str, Any] = {"code": http_status, "message": message, "status": name}
    if details:
        error["details"] = [dict(d) for d in details]
    return json_response({"error": error}, http_status, headers)


def retry_info(seconds: float) -> dict[str, Any]:
    """A ``google.rpc.RetryInfo`` detail (``retryDelay`` as a Duration string).

    >>> retry_info(1.5)
    {'@type': 'type.googleapis.com/google.rpc.RetryInfo', 'retryDelay': '1.500s'}
    """
    text = f"{int(seconds)}" if float(seconds).is_integer() else f"{seconds:.3f}"
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{text}s"}


def http_status_of(code: int) -> int:
    """The HTTP status of a google.rpc code number.

    >>> http_status_of(5)
    404
    """
    return GRPC_CODE_TO_HTTP.get(code, 500)


def code_of(status_name: str) -> int:
    """The google.rpc code number of a status name.

    >>> code_of("INTERNAL")
    13
    """
    return _NAME_TO_CODE.get(status_name, 2)
