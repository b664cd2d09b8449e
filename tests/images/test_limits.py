"""Request limits (I4) and the inline-or-upload plan; image fetch parsing (I5)."""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.errors import LocalError, NotFoundError, ProtocolError, UnavailableError
from gemini_vision.images import (
    MAX_IMAGES_PER_REQUEST,
    MAX_REQUEST_BYTES,
    build_image_fetch,
    check_request_limits,
    image_part,
    parse_image_fetch,
    plan_uploads,
)
from gemini_vision.images.limits import PART_OVERHEAD
from gemini_vision.wire.http import HttpRequest, HttpResponse
from tests.image_samples import encode, exif_with_orientation, gradient

JPEG = encode(gradient(30, 20), "JPEG")


def _request_with_parts(parts: list[dict[str, object]], pad_to: int | None = None) -> HttpRequest:
    body = {"contents": [{"role": "user", "parts": list(parts)}]}
    raw = json.dumps(body, separators=(",", ":")).encode()
    if pad_to is not None:
        # Grow the prompt text until the body has exactly pad_to bytes.
        body["contents"][0]["parts"].insert(0, {"text": ""})  # type: ignore[index]
        base = len(json.dumps(body, separators=(",", ":")).encode())
        body["contents"][0]["parts"][0]["text"] = "x" * (pad_to - base)  # type: ignore[index]
        raw = json.dumps(body, separators=(",", ":")).encode()
        assert len(raw) == pad_to
    return HttpRequest("POST", "https://h/v1beta/models/m:generateContent", body=raw)


def _inline(data: bytes) -> dict[str, object]:
    return {"inlineData": {"mimeType": "image/jpeg", "data": base64.b64encode(data).decode()}}


def test_a_body_reaching_20_mb_is_refused_and_one_byte_less_is_not() -> None:
    """The 20 MB rule counts the whole serialized body: prompt plus base64 images."""
    parts = [_inline(JPEG)]
    check_request_limits(_request_with_parts(parts, pad_to=MAX_REQUEST_BYTES - 1))
    with pytest.raises(LocalError, match="Files API"):
        check_request_limits(_request_with_parts(parts, pad_to=MAX_REQUEST_BYTES))


def test_more_than_3600_images_are_refused() -> None:
    """3,600 image parts (inline or file references) pass; 3,601 fail before sending."""
    ref = {"fileData": {"mimeType": "image/png", "fileUri": "https://h/files/a"}}
    check_request_limits(_request_with_parts([ref] * MAX_IMAGES_PER_REQUEST))
    with pytest.raises(LocalError, match="3601 images"):
        check_request_limits(_request_with_parts([ref] * (MAX_IMAGES_PER_REQUEST + 1)))


def test_non_image_parts_do_not_count_as_images() -> None:
    """Video and PDF file references and text are not images."""
    parts: list[dict[str, object]] = [
        {"fileData": {"mimeType": "video/mp4", "fileUri": "u"}},
        {"text": '"inlineData"'},
    ] * (MAX_IMAGES_PER_REQUEST + 1)
    check_request_limits(_request_with_parts(parts))


sizes = st.lists(st.integers(min_value=0, max_value=5_000), max_size=9)


@given(sizes=sizes, budget=st.integers(min_value=0, max_value=20_000))
def test_plan_keeps_the_most_images_inline_within_the_budget(sizes: list[int], budget: int) -> None:
    """Inline images fit the budget, and no other choice keeps more of them inline."""
    plan = plan_uploads(sizes, budget=budget)
    cost = [4 * ((n + 2) // 3) + PART_OVERHEAD for n in sizes]
    assert sorted(plan.inline + plan.uploads) == list(range(len(sizes)))
    assert plan.inline_bytes == sum(cost[i] for i in plan.inline) <= budget
    best = max(
        (
            len(subset)
            for r in range(len(sizes) + 1)
            for subset in itertools.combinations(range(len(sizes)), r)
            if sum(cost[i] for i in subset) <= budget
        ),
        default=0,
    )
    assert len(plan.inline) == best


def test_plan_accepts_parts_and_bytes_and_refuses_too_many_images() -> None:
    """ImageParts and raw bytes are sized by their base64 length; >3,600 images is an error."""
    part = image_part(JPEG)
    plan = plan_uploads([part, JPEG])
    assert [d.request_bytes for d in plan.decisions] == [part.encoded_size + PART_OVERHEAD] * 2
    with pytest.raises(LocalError, match="3601 images"):
        plan_uploads([1] * (MAX_IMAGES_PER_REQUEST + 1))


# --- fetching an image from a URL (sans-I/O halves) -----------------------------------


def test_fetch_request_is_an_idempotent_get_for_http_urls_only() -> None:
    """build_image_fetch makes a GET with an image Accept header and refuses other schemes."""
    request = build_image_fetch("http://example.test/a.jpg?size=large")
    assert (request.method, request.idempotent) == ("GET", True)
    assert "image/jpeg" in request.headers["Accept"]
    for url in ("ftp://h/a.jpg", "data:image/png;base64,AAAA", "/relative.png", "https:///x"):
        with pytest.raises(LocalError, match="only http and https"):
            build_image_fetch(url)


@pytest.mark.parametrize(
    "content_type", ["image/jpeg", "image/png", "", "application/octet-stream"]
)
def test_fetched_images_are_sniffed_whatever_the_label(content_type: str) -> None:
    """Image and neutral content types are accepted; the sniffed type is what is sent."""
    headers = {"Content-Type": content_type} if content_type else {}
    part = parse_image_fetch(HttpResponse(200, headers, JPEG), url="https://h/a?key=SECRET")
    assert (part.mime_type, part.size) == ("image/jpeg", (30, 20))
    assert "SECRET" not in part.source


def test_fetched_non_images_and_errors_are_clear() -> None:
    """HTML pages, unsupported images, HTTP errors and oversized bodies each raise their error."""
    url = "https://h/a.jpg"
    with pytest.raises(ProtocolError, match="text/html, not an image"):
        parse_image_fetch(HttpResponse(200, {"Content-Type": "text/html"}, b"<html>"), url=url)
    gif = encode(gradient(3, 3), "GIF")
    with pytest.raises(LocalError, match="GIF"):
        parse_image_fetch(HttpResponse(200, {"Content-Type": "image/jpeg"}, gif), url=url)
    with pytest.raises(NotFoundError, match="404"):
        parse_image_fetch(HttpResponse(404, {}, b"not here"), url=url)
    with pytest.raises(UnavailableError) as info:
        parse_image_fetch(HttpResponse(503, {"Retry-After": "7"}, b""), url=url)
    assert info.value.retry_delay == 7
    with pytest.raises(ProtocolError, match="more than the limit"):
        parse_image_fetch(HttpResponse(200, {}, JPEG), url=url, max_bytes=10)


def test_fetched_images_follow_the_orientation_option() -> None:
    """apply_orientation works for fetched bytes as for local ones."""
    data = encode(gradient(30, 20), "PNG", exif=exif_with_orientation(6))
    part = parse_image_fetch(HttpResponse(200, {}, data), url="https://h/x", apply_orientation=True)
    assert part.size == part.display_size == (20, 30)


def test_the_package_serves_the_limits_on_first_use() -> None:
    """``gemini_vision.images`` loads ``images.limits`` when one of its names is
    first asked for (the client's import skips it), and every name of ``__all__``
    resolves, by attribute and by ``from ... import``."""
    code = (
        "import sys\n"
        "import gemini_vision.images as images\n"
        "assert 'gemini_vision.images.limits' not in sys.modules\n"
        "from gemini_vision.images import plan_uploads, MAX_REQUEST_BYTES\n"
        "from gemini_vision.images import limits\n"
        "assert plan_uploads is limits.plan_uploads\n"
        "assert MAX_REQUEST_BYTES == limits.MAX_REQUEST_BYTES\n"
        "assert all(getattr(images, name) is not None for name in images.__all__)\n"
        "try:\n"
        "    images.no_such_name\n"
        "except AttributeError as e:\n"
        "    assert 'no_such_name' in str(e)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
