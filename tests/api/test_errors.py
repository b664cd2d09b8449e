"""W7: google.rpc.Status bodies and bare HTTP errors become typed ApiErrors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision import errors
from gemini_vision.api.errors import (
    api_error_from_response,
    parse_duration,
    scrub_secrets,
)
from gemini_vision.wire.http import HttpResponse, parse_http_date, parse_retry_after

# google.rpc.Code name -> the class it maps to, and the HTTP status the API uses for it.
STATUS_TABLE = [
    ("INVALID_ARGUMENT", 400, errors.InvalidArgumentError),
    ("FAILED_PRECONDITION", 400, errors.FailedPreconditionError),
    ("OUT_OF_RANGE", 400, errors.OutOfRangeError),
    ("UNAUTHENTICATED", 401, errors.UnauthenticatedError),
    ("PERMISSION_DENIED", 403, errors.PermissionDeniedError),
    ("NOT_FOUND", 404, errors.NotFoundError),
    ("ABORTED", 409, errors.AbortedError),
    ("ALREADY_EXISTS", 409, errors.AlreadyExistsError),
    ("RESOURCE_EXHAUSTED", 429, errors.ResourceExhaustedError),
    ("CANCELLED", 499, errors.CancelledError),
    ("DATA_LOSS", 500, errors.DataLossError),
    ("UNKNOWN", 500, errors.UnknownError),
    ("INTERNAL", 500, errors.InternalError),
    ("UNIMPLEMENTED", 501, errors.UnimplementedError),
    ("UNAVAILABLE", 503, errors.UnavailableError),
    ("DEADLINE_EXCEEDED", 504, errors.DeadlineExceededError),
]


def status_body(code: int, status: str, message: str = "m", details: Any = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return json.dumps({"error": error}).encode()


@pytest.mark.parametrize(("status", "http", "cls"), STATUS_TABLE)
def test_status_names_map_to_classes(status: str, http: int, cls: type[errors.ApiError]) -> None:
    """Each google.rpc status name gives its own ApiError subclass, fields filled in."""
    error = api_error_from_response(
        HttpResponse(http, {"content-type": "application/json"}, status_body(http, status, "why"))
    )
    assert type(error) is cls
    assert (error.code, error.status, error.message, error.http_status) == (
        http,
        status,
        "why",
        http,
    )
    assert str(error) == f"HTTP {http} {status}: why"


@pytest.mark.parametrize(
    ("http", "cls"),
    [
        (400, errors.InvalidArgumentError),
        (401, errors.UnauthenticatedError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (408, errors.DeadlineExceededError),
        (429, errors.ResourceExhaustedError),
        (500, errors.InternalError),
        (502, errors.UnavailableError),
        (503, errors.UnavailableError),
        (504, errors.DeadlineExceededError),
        (418, errors.UnknownError),
    ],
)
def test_http_codes_map_when_the_body_says_nothing(http: int, cls: type[errors.ApiError]) -> None:
    """Without a status name, the HTTP code picks the class."""
    assert type(api_error_from_response(HttpResponse(http, {}, b""))) is cls


def test_details_retry_info_error_info_bad_request() -> None:
    """RetryInfo -> retry_delay, ErrorInfo -> reason, BadRequest -> field_violations."""
    details = [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37.250s"},
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
         "domain": "googleapis.com"},
        {"@type": "type.googleapis.com/google.rpc.BadRequest",
         "fieldViolations": [{"field": "contents[0]", "description": "empty"}]},
        {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
    ]  # fmt: skip
    error = api_error_from_response(
        HttpResponse(400, {}, status_body(400, "INVALID_ARGUMENT", "bad", details))
    )
    assert error.retry_delay == pytest.approx(37.25)
    assert error.reason == "API_KEY_INVALID"
    assert error.field_violations == (errors.FieldViolation("contents[0]", "empty"),)
    assert error.details == details
    assert "contents[0]: empty" in str(error) and "[API_KEY_INVALID]" in str(error)


def test_retry_after_header_when_no_retry_info() -> None:
    """Retry-After (seconds) fills retry_delay when the body has no RetryInfo."""
    response = HttpResponse(429, {"Retry-After": "12"}, status_body(429, "RESOURCE_EXHAUSTED"))
    assert api_error_from_response(response).retry_delay == 12.0


def test_html_from_a_proxy() -> None:
    """An HTML 502 page gives UnavailableError with a clear, short, sanitized message."""
    page = (
        b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\x00"
        + b"<p>x</p>" * 200
    )
    error = api_error_from_response(
        HttpResponse(502, {"Content-Type": "text/html; charset=UTF-8"}, page)
    )
    assert type(error) is errors.UnavailableError
    message = str(error)
    assert (
        "the server answered HTTP 502 with text/html, not a google.rpc.Status JSON body" in message
    )
    assert "<title>502 Bad Gateway</title>" in message
    assert "\x00" not in message and "\n" not in message and len(message) < 400


def test_secrets_echoed_by_a_proxy_are_scrubbed() -> None:
    """A key or bearer token in an error message never reaches the exception text."""
    key = "AIzaSyD-SECRET-SECRET-SECRET-SECRET-123"
    body = f"<html>GET /v1beta/models?key={key} with Authorization: Bearer ya29.SECRETTOKEN</html>"
    error = api_error_from_response(HttpResponse(502, {"content-type": "text/html"}, body.encode()))
    assert "SECRET" not in str(error)
    json_error = api_error_from_response(
        HttpResponse(400, {}, status_body(400, "INVALID_ARGUMENT", f"API key {key} not valid"))
    )
    assert "SECRET" not in str(json_error) and "SECRET" not in json_error.message
    assert scrub_secrets("token=abc&x=1") == "token=abc&x=1"  # only after ? or &
    assert scrub_secrets("?token=abc&x=1") == "?token=<redacted>&x=1"


@given(st.binary(max_size=200), st.integers(100, 599))
def test_any_error_body_gives_an_api_error(body: bytes, status: int) -> None:
    """Whatever the body, api_error_from_response returns an ApiError (never raises)."""
    assert isinstance(api_error_from_response(HttpResponse(status, {}, body)), errors.ApiError)


@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda x: (
            st.lists(x, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["error", "code", "status", "message", "details", "@type", "retryDelay"]
                ),
                x,
                max_size=4,
            )
        ),
        max_leaves=10,
    )
)
def test_any_error_json_gives_an_api_error(document: Any) -> None:
    """Arbitrary JSON shaped like a Status (or not) still gives an ApiError."""
    body = json.dumps(document).encode()
    assert isinstance(api_error_from_response(HttpResponse(500, {}, body)), errors.ApiError)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1.5s", 1.5),
        ("0s", 0.0),
        ("30s", 30.0),
        ("0.000000001s", 1e-9),
        ({"seconds": 3, "nanos": 500_000_000}, 3.5),
        ("1.5", None),
        ("s", None),
        (12, None),
    ],
)
def test_parse_duration(value: Any, seconds: float | None) -> None:
    """Protobuf Duration in its JSON forms."""
    assert parse_duration(value) == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_dates_without_a_clock() -> None:
    """An HTTP-date Retry-After is measured against the Date header or an explicit now."""
    when = "Wed, 21 Oct 2015 07:28:00 GMT"
    target = parse_http_date(when)
    assert target == 1445412480.0
    assert parse_retry_after({"retry-after": when, "date": "Wed, 21 Oct 2015 07:27:30 GMT"}) == 30.0
    assert parse_retry_after({"retry-after": when}, now=target - 5) == 5.0
    assert parse_retry_after({"retry-after": when}) is None  # no reference time: unusable
    assert parse_retry_after({"retry-after": when}, now=target + 100) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_http_date("Wed, 32 Oct 2015 07:28:00 GMT") is None
