"""W1: HTTP messages as values; headers case-insensitive; secrets never printed."""

from __future__ import annotations

import contextlib
import dataclasses
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision import errors
from gemini_vision.wire.http import (
    REDACTED,
    Headers,
    HttpRequest,
    HttpResponse,
    is_secret_header,
    redact_url,
)

_name = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_0123456789"),
    min_size=1,
    max_size=12,
)
_value = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\0", blacklist_categories=["Cs"]), max_size=20
)


class TestHeaders:
    def test_lookup_is_case_insensitive_and_keeps_original_case(self) -> None:
        """Lookups ignore case; iteration yields names as first given."""
        h = Headers({"Content-Type": "application/json", "X-Goog-Api-Key": "k"})
        assert h["content-type"] == "application/json"
        assert h.get("CONTENT-TYPE") == "application/json"
        assert h.get("missing") is None
        assert "x-goog-api-key" in h
        assert list(h) == ["Content-Type", "X-Goog-Api-Key"]

    def test_repeated_fields_are_kept_in_order(self) -> None:
        """A list of pairs may repeat a name; get_all returns every value in order."""
        h = Headers([("Set-Cookie", "a=1"), ("Via", "x"), ("set-cookie", "b=2")])
        assert h.get_all("SET-COOKIE") == ["a=1", "b=2"]
        assert h["set-cookie"] == "a=1"
        assert len(h) == 2
        assert h.items_all()[2] == ("set-cookie", "b=2")

    def test_replace_and_merge_return_new_objects(self) -> None:
        """replace/merged leave the original untouched."""
        h = Headers({"A": "1", "B": "2"})
        assert h.replace("a", "3") == Headers({"B": "2", "A": "3"})
        assert h.replace("a", None) == Headers({"B": "2"})
        assert h.merged({"b": "9", "C": "4"}).get_all("B") == ["9"]
        assert h == Headers({"A": "1", "B": "2"})
        with pytest.raises(AttributeError):
            h.x = 1  # type: ignore[attr-defined]

    @pytest.mark.parametrize("bad", [("A\r\nB", "x"), ("A", "x\r\nInjected: 1"), ("", "x")])
    def test_header_injection_is_refused(self, bad: tuple[str, str]) -> None:
        """A CR/LF in a name or value would split the field on the wire: refused."""
        with pytest.raises(ValueError):
            Headers([bad])

    @given(st.lists(st.tuples(_name, _value), max_size=8))
    def test_equality_ignores_name_case(self, pairs: list[tuple[str, str]]) -> None:
        """Two header lists differing only in name case are equal, with equal hashes."""
        a = Headers(pairs)
        b = Headers([(n.swapcase(), v) for n, v in pairs])
        assert a == b
        assert hash(a) == hash(b)
        for n, _ in pairs:
            assert a.get_all(n) == [v for m, v in pairs if m.lower() == n.lower()]

    @pytest.mark.parametrize(
        "name", ["x-goog-api-key", "Authorization", "COOKIE", "Set-Cookie", "Proxy-Authorization"]
    )
    def test_secret_values_are_redacted_in_repr(self, name: str) -> None:
        """repr and str of Headers never contain a credential value."""
        h = Headers({name: "top-secret-value", "Accept": "*/*"})
        assert is_secret_header(name)
        for text in (repr(h), str(h), repr(h.redacted())):
            assert "top-secret-value" not in text
            assert REDACTED in text
        assert h[name] == "top-secret-value"


class TestHttpRequest:
    def test_is_frozen_dataclass(self) -> None:
        """Requests are frozen slotted dataclasses, equal by value."""
        r = HttpRequest("post", "https://h/p", {"A": "1"}, b"{}")
        assert dataclasses.is_dataclass(r)
        assert not hasattr(r, "__dict__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.url = "x"  # type: ignore[misc]
        assert r == HttpRequest("POST", "https://h/p", [("a", "1")], b"{}")
        assert dataclasses.replace(r, body=b"[]").body == b"[]"

    @pytest.mark.parametrize(
        ("method", "expected"),
        [("GET", True), ("DELETE", True), ("PUT", True), ("POST", False), ("PATCH", False)],
    )
    def test_idempotency_defaults_by_method(self, method: str, expected: bool) -> None:
        """Without an explicit flag, only methods that are idempotent by RFC 9110 are."""
        assert HttpRequest(method, "https://h/").idempotent is expected
        assert HttpRequest(method, "https://h/", idempotent=not expected).idempotent is not expected

    def test_secrets_absent_from_repr_and_str(self) -> None:
        """Neither the key header nor a key query parameter shows in repr/str."""
        r = HttpRequest(
            "POST",
            "https://h/v1beta/models/m:generateContent?key=AIzaURLSECRET&alt=sse",
            {"x-goog-api-key": "AIzaHEADERSECRET", "Authorization": "Bearer TOKENSECRET"},
            b'{"contents": []}',
        )
        for text in (repr(r), str(r), repr([r]), f"{r}"):
            assert "SECRET" not in text
        assert "alt=sse" in repr(r)

    def test_with_headers_keeps_everything_else(self) -> None:
        """with_headers replaces per name and keeps method/url/body/idempotent."""
        r = HttpRequest("POST", "https://h/", {"A": "1"}, b"x", idempotent=True)
        r2 = r.with_headers({"a": "2", "B": "3"})
        assert r2.headers.get_all("A") == ["2"]
        assert (r2.method, r2.url, r2.body, r2.idempotent) == ("POST", "https://h/", b"x", True)

    def test_body_must_be_bytes(self) -> None:
        """A str body is a programming error, caught at construction."""
        with pytest.raises(TypeError):
            HttpRequest("POST", "https://h/", None, "text")  # type: ignore[arg-type]


class TestHttpResponse:
    def test_json_parses(self) -> None:
        """json() returns the parsed body."""
        r = HttpResponse(200, {"Content-Type": "application/json; charset=utf-8"}, b'{"a": [1]}')
        assert r.json() == {"a": [1]}
        assert r.content_type == "application/json"
        assert r.is_success

    def test_non_json_body_is_a_protocol_error_with_a_preview(self) -> None:
        """An HTML page from a proxy gives a ProtocolError naming status, type and a preview."""
        page = b"<html>\n<body>\x07Bad Gateway</body></html>" + b"x" * 500
        r = HttpResponse(502, {"content-type": "text/html"}, page)
        with pytest.raises(errors.ProtocolError) as info:
            r.json()
        message = str(info.value)
        assert "HTTP 502" in message and "text/html" in message
        assert "<html> <body> Bad Gateway" in message
        assert "\x07" not in message and len(message) < 320

    @given(st.binary(max_size=64))
    def test_json_raises_only_protocol_error(self, body: bytes) -> None:
        """Arbitrary bytes either parse or raise ProtocolError, nothing else."""
        with contextlib.suppress(errors.ProtocolError):
            HttpResponse(200, None, body).json()


class TestErrors:
    def test_redact_url_keeps_other_parameters(self) -> None:
        """Only credential parameters are redacted."""
        assert redact_url("https://h/x?a=1&KEY=s&b=2") == f"https://h/x?a=1&KEY={REDACTED}&b=2"
        assert redact_url("https://h/x") == "https://h/x"

    def test_api_error_pickles_with_its_attributes(self) -> None:
        """ApiError survives pickling (multiprocessing, task queues) with its fields."""
        e = errors.ResourceExhaustedError(
            "quota", code=429, status="RESOURCE_EXHAUSTED", retry_delay=1.5, http_status=429,
            field_violations=[errors.FieldViolation("f", "d")],
        )  # fmt: skip
        e2 = pickle.loads(pickle.dumps(e))
        assert type(e2) is errors.ResourceExhaustedError
        assert (e2.code, e2.status, e2.retry_delay) == (429, "RESOURCE_EXHAUSTED", 1.5)
        assert e2.message == "quota"
        assert e2.field_violations == (errors.FieldViolation("f", "d"),)
        assert str(e2) == str(e)

    def test_protocol_error_is_a_value_error_naming_the_path(self) -> None:
        """ProtocolError carries the JSON path in its message and attribute."""
        e = errors.ProtocolError("not valid base64", path="candidates[0].content")
        assert isinstance(e, ValueError)
        assert str(e) == "candidates[0].content: not valid base64"
        assert e.path == "candidates[0].content"

    def test_transport_error_family(self) -> None:
        """Transport errors share one base class, distinct from ApiError."""
        for cls in (errors.ConnectError, errors.RequestTimeoutError, errors.StreamInterruptedError):
            assert issubclass(cls, errors.TransportError)
            assert not issubclass(cls, errors.ApiError)
