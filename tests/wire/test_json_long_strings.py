"""``wire.codec.loads`` with long strings lifted out (issue 15): always the codec's result.

The reference is the codec's own parser (the standard library's
``json.loads``, or ``orjson.loads`` when it is installed) on the same bytes; the
documents mix short and long strings, keys, escapes of every kind (surrogate
pairs, lone surrogates, control characters, invalid escapes), and broken JSON.
The kernel's two backends are compared with each other as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.wire import codec as wire_json

MIN_LEN = 8  # small, so that generated strings are lifted often

# Escapes as written in JSON text, the interesting ones included.
pieces = st.sampled_from(
    [
        "plain text ",
        "é ü 漢字 😀",
        "\\n",
        "\\t",
        '\\"',
        "\\\\",
        "\\/",
        "\\b\\f\\r",
        "\\u00e9",
        "\\u0000",
        "\\ud83d\\ude00",  # a surrogate pair: left to json.loads
        "\\udc00",  # a lone surrogate: json.loads keeps it
        "\t",  # a raw control character: json.loads refuses the document
        "\\x",  # an invalid escape: refused
        "\\u12",  # a short \\u escape: refused
    ]
)
string_bodies = st.lists(pieces, max_size=12).map("".join)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    def value(depth: int) -> str:
        kind = draw(st.integers(0, 3 if depth < 3 else 1))
        if kind == 0:
            return '"' + draw(string_bodies) + '"'
        if kind == 1:
            return draw(st.sampled_from(["1", "-2.5e3", "true", "null"]))
        if kind == 2:
            count = draw(st.integers(0, 3))
            return "[" + ", ".join(value(depth + 1) for _ in range(count)) + "]"
        count = draw(st.integers(0, 3))
        members = (f'"{draw(string_bodies)}" : {value(depth + 1)}' for _ in range(count))
        return "{" + ",".join(members) + "}"

    text = value(0)
    if draw(st.booleans()) and len(text) > 2:  # sometimes break it
        cut = draw(st.integers(1, len(text) - 1))
        text = text[:cut]
    return text.encode("utf-8", "surrogatepass")


def _outcome(parse: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "ok", parse(data)
    except (ValueError, RecursionError) as exc:
        return "error", type(exc).__name__


@contextmanager
def _lifting(codec: str = "stdlib") -> Iterator[None]:
    """The codec named (``stdlib`` or ``""``: orjson), and strings of MIN_LEN bytes lifted."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GEMINI_VISION_JSON", codec)
        patch.setattr(wire_json, "_codec", None)
        patch.setattr(wire_json, "LONG_STRING", MIN_LEN)
        yield


@pytest.fixture
def lifting() -> Iterator[None]:
    with _lifting():
        yield


@given(data=documents())
def test_loads_equals_json_loads(data: bytes) -> None:
    expected = _outcome(json.loads, data)
    with _lifting():
        got = _outcome(wire_json.loads, data)
    assert got[0] == expected[0]
    if expected[0] == "ok":
        assert got[1] == expected[1]
        assert json.dumps(got[1]) == json.dumps(expected[1])  # same types too


try:
    import orjson
except ImportError:  # the ``fast`` extra is optional
    orjson = None


@pytest.mark.skipif(orjson is None, reason="orjson is not installed (the fast extra)")
@given(data=documents())
def test_loads_with_orjson_equals_orjson_loads(data: bytes) -> None:
    assert orjson is not None
    expected = _outcome(orjson.loads, data)
    with _lifting(""):
        assert wire_json._select_codec()[0] is orjson.loads
        got = _outcome(wire_json.loads, data)
    assert got[0] == expected[0]
    if expected[0] == "ok":
        assert got[1] == expected[1]
        assert orjson.dumps(got[1]) == orjson.dumps(expected[1])  # same types too


@given(data=documents())
def test_backends_split_alike(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, data: bytes
) -> None:
    marker = b"\\u0000@"
    assert rust_kernels.split_long_strings(
        data, MIN_LEN, marker
    ) == numpy_kernels.split_long_strings(data, MIN_LEN, marker)


def test_a_big_text_answer_is_lifted_and_put_back(lifting: None) -> None:
    text = "The quick brown fox.\n" * 2000 + "é😀"
    document = {"candidates": [{"content": {"parts": [{"text": text}]}}], "n": [1, "x"]}
    body = json.dumps(document, ensure_ascii=False).encode()
    split = wire_json._split_kernel()
    if split is None:
        pytest.skip("the Rust extension is not the backend")
    lifted = split(body, MIN_LEN, wire_json._MARKER)
    assert lifted is not None and lifted[1] == [text]
    assert wire_json.loads(body) == document
    # A string that names a placeholder without the process's random marker stays text.
    fake = json.dumps({"a": "\x00gemini-vision:0", "b": text}).encode()
    assert wire_json.loads(fake) == json.loads(fake)
