"""Long JSON strings lifted out of a document: the pure-Python twin of ``rust/json_strings.rs``.

The same scan and the same rules (see the Rust module): a value string of at
least ``min_len`` bytes is decoded here and replaced by ``"<marker><index>"``
only when ``json.loads`` would surely decode it the same way. The wire core
uses the Rust kernel only; this twin keeps the backends alike and serves the
parity tests (it is no faster than ``json.loads``).

>>> split_long_strings(b'{"k": "a\\\\nb", "n": 1}', 3, b"@")
(b'{"k": "@0", "n": 1}', ['a\\nb'])
"""

from __future__ import annotations

import re

__all__ = ["split_long_strings"]

_SIMPLE = {b'"': '"', b"\\": "\\", b"/": "/", b"b": "\b", b"f": "\f", b"n": "\n", b"r": "\r"}
_SIMPLE[b"t"] = "\t"
_CONTROL = re.compile(rb"[\x00-\x1f]")
_HEX = re.compile(rb"[0-9A-Fa-f]{4}")
_WHITESPACE = b" \t\n\r"


def split_long_strings(data: bytes, min_len: int, marker: bytes) -> tuple[bytes, list[str]] | None:
    """``(skeleton, strings)``, or None when there is nothing to lift (see the Rust kernel)."""
    doc = bytes(data)
    if len(doc) < max(min_len, 1) or doc.startswith(b"\xef\xbb\xbf") or 0 in doc[:4]:
        return None
    lifted: list[tuple[int, int, str]] = []
    pos = 0
    while (start := doc.find(b'"', pos)) >= 0:
        end = _string_end(doc, start + 1)
        if end is None:
            break
        body = doc[start + 1 : end]
        if len(body) >= min_len and not _is_key(doc, end + 1):
            text = _decode(body)
            if text is not None:
                lifted.append((start, end + 1, text))
        pos = end + 1
    if not lifted:
        return None
    parts: list[bytes] = []
    copied = 0
    for index, (start, end, _) in enumerate(lifted):
        parts += [doc[copied:start], b'"', marker, str(index).encode(), b'"']
        copied = end
    parts.append(doc[copied:])
    return b"".join(parts), [text for _, _, text in lifted]


def _string_end(doc: bytes, pos: int) -> int | None:
    while True:
        quote, backslash = doc.find(b'"', pos), doc.find(b"\\", pos)
        if quote < 0:
            return None
        if backslash < 0 or quote < backslash:
            return quote
        pos = backslash + 2


def _is_key(doc: bytes, after: int) -> bool:
    rest = doc[after:].lstrip(_WHITESPACE)
    return rest[:1] == b":"


def _decode(body: bytes) -> str | None:
    if _CONTROL.search(body):
        return None
    out: list[str] = []
    pos = 0
    try:
        while (at := body.find(b"\\", pos)) >= 0:
            out.append(body[pos:at].decode("utf-8"))
            escaped = body[at + 1 : at + 2]
            pos = at + 2
            if escaped == b"u":
                if not _HEX.fullmatch(body, pos, pos + 4):
                    return None
                code = int(body[pos : pos + 4], 16)
                if 0xD800 <= code <= 0xDFFF:
                    return None
                out.append(chr(code))
                pos += 4
            elif escaped in _SIMPLE:
                out.append(_SIMPLE[escaped])
            else:
                return None
        out.append(body[pos:].decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return "".join(out)
