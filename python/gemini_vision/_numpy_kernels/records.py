"""NumPy twin of ``rust/records.rs``: the batch path's fast lane, whole records to columns.

The same rules, written a second way: where ``records.rs`` walks the bytes with
its own strict reader, this decodes with the standard ``json`` module and
hooks that refuse what the lane does not take (fractions, exponents, NaN, keys
other than ``box_2d``/``label``/``mask``, a key twice), then checks the values.
A record the lane does not take (``taken`` False) is left to the general
parser. The taken records' rows come back as the same flat columns as the Rust
kernel's (``Columns`` in ``records.rs``). The differential tests hold the two
to the same decisions and the same bytes.

>>> import numpy as np
>>> out = records_to_columns(['[{"box_2d": [0, 0, 500, 500], "label": "a"}]', '[]'],
...                          np.array([[4, 2], [4, 2]]), 127, 13, 1 << 20, 1 << 27, 1 << 26,
...                          1 << 20, 10_000, 1)
>>> taken, cut, record, item, boxes, _, labels, _, _, segment, area = out
>>> taken.tolist(), record.tolist(), boxes.tolist(), labels.tobytes(), area.tolist()
([True, False], [0], [[0, 0, 2, 1]], b'a', [2])
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision._numpy_kernels.batch import png_masks_to_rle
from gemini_vision.errors import KernelInputError

__all__ = ["records_to_columns"]

#: One row of a taken record: (label, x0, y0, x1, y1, RLE counts or None, area).
ItemRow = tuple[str, int, int, int, int, str | None, int]

Columns = tuple[
    npt.NDArray[np.bool_],
    npt.NDArray[np.uint8],
    npt.NDArray[np.int64],
    npt.NDArray[np.int32],
    npt.NDArray[np.int32],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint8],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint8],
    npt.NDArray[np.bool_],
    npt.NDArray[np.int64],
]

_PNG_PREFIX = "data:image/png;base64,"
_GRAPHIC = frozenset(map(chr, range(0x21, 0x7F)))
_OPENING = re.compile(r"```json[ \t]*\r?\n")
_LINE_END = re.compile(r"[ \t]*\r?(?=\n|\Z)")
_ASCII_WS = " \t\r\n"
_KEYS = frozenset({"box_2d", "label", "mask"})
_INT32_MAX = 2**31 - 1
_BASE64 = re.compile(r"[A-Za-z0-9+/=]*")
_WS = re.compile(r"[ \t\r\n]*")


class _Refused(Exception):
    """The text is not the plain shape."""


def records_to_columns(
    texts: Sequence[str],
    sizes: npt.NDArray[np.int64],
    threshold: int,
    pillow: int,
    max_png_pixels: int,
    max_mask_pixels: int,
    max_decoded_bytes: int,
    max_answer_bytes: int,
    max_items: int,
    threads: int,
) -> Columns:
    """The lane over the records (answer ``texts[i]``, ``sizes[i] = (width, height)``).

    Returns ``(taken, cut, record, item, boxes, label_offsets, label_data,
    counts_offsets, counts_data, segment, area)``: per record whether it was
    taken and where its answer was cut off (0: it was not; 1: after an item;
    2: inside the next one), then the taken records' rows as columns (see
    ``records.rs``).
    """
    if np.shape(sizes) != (len(texts), 2):
        raise KernelInputError(
            f"sizes must have shape ({len(texts)}, 2), got {tuple(np.shape(sizes))}"
        )
    if pillow not in (12, 13):
        raise KernelInputError(f"pillow must be 12 or 13, got {pillow}")
    if threads < 0:
        raise KernelInputError(f"threads must be 0 (every core) or more, got {threads}")
    taken: list[bool] = []
    cuts: list[int] = []
    rows: list[tuple[int, int, ItemRow]] = []
    limits = (max_png_pixels, max_mask_pixels, max_decoded_bytes, max_answer_bytes, max_items)
    for index, (text, (width, height)) in enumerate(
        zip(texts, np.asarray(sizes).tolist(), strict=True)
    ):
        for name, value in (("width", width), ("height", height)):
            if value < 0:
                raise KernelInputError(f"{name} must be >= 0, got {value}")
        record = _record(text, width, height, threshold, pillow, limits)
        items, cut = record if record is not None else ([], 0)
        taken.append(record is not None)
        cuts.append(cut)
        rows += [(index, position, row) for position, row in enumerate(items)]
    return _columns(taken, cuts, rows)


def _columns(taken: list[bool], cuts: list[int], rows: list[tuple[int, int, ItemRow]]) -> Columns:
    labels = [row[0].encode("utf-8") for _, _, row in rows]
    counts = [(row[5] or "").encode("ascii") for _, _, row in rows]
    return (
        np.array(taken, dtype=np.bool_),
        np.array(cuts, dtype=np.uint8),
        np.array([index for index, _, _ in rows], dtype=np.int64),
        np.array([position for _, position, _ in rows], dtype=np.int32),
        np.array([row[1:5] for _, _, row in rows], dtype=np.int32).reshape(-1, 4),
        _offsets(labels),
        np.frombuffer(b"".join(labels), dtype=np.uint8).copy(),
        _offsets(counts),
        np.frombuffer(b"".join(counts), dtype=np.uint8).copy(),
        np.array([row[5] is not None for _, _, row in rows], dtype=np.bool_),
        np.array([row[6] for _, _, row in rows], dtype=np.int64),
    )


def _offsets(parts: list[bytes]) -> npt.NDArray[np.int64]:
    out = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(part) for part in parts], out=out[1:])
    return out


def _record(
    text: str,
    width: int,
    height: int,
    threshold: int,
    pillow: int,
    limits: tuple[int, int, int, int, int],
) -> tuple[list[ItemRow], int] | None:
    if width == 0 or height == 0:
        return None
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None  # a lone surrogate: the Rust lane gets no UTF-8 for it
    max_png_pixels, max_mask_pixels, max_decoded_bytes, max_answer_bytes, max_items = limits
    if size > max_answer_bytes:
        return None  # the general parser reads the first bytes and says so
    found = _json_body(text)
    if found is None:
        return None
    read = _read_list(*found)
    if read is None:
        return None
    items, cut = read
    if len(items) + (cut == _CUT_INSIDE) > max_items or _has_copies(items):
        return None  # the general parser reads up to the cap, or notes the copy
    rows: list[ItemRow] = []
    masks: list[tuple[int, bytes, tuple[int, int, int, int]]] = []
    pixels = decoded = 0
    for item in items:
        if not _plain(item):
            return None
        ymin, xmin, ymax, xmax = item["box_2d"]
        x0, y0 = int(xmin / 1000 * width), int(ymin / 1000 * height)
        x1, y1 = int(xmax / 1000 * width), int(ymax / 1000 * height)
        if x1 <= x0 or y1 <= y0 or max(x1, y1) > _INT32_MAX:
            return None  # an empty box (noted by the general parser), or no int32 column
        if "mask" in item:
            base64 = item["mask"][len(_PNG_PREFIX) :]
            pixels += (x1 - x0) * (y1 - y0)
            decoded += len(base64) // 4 * 3 + 3
            if pixels > max_mask_pixels or decoded > max_decoded_bytes:
                return None
            masks.append((len(rows), base64.encode("utf-8"), (x0, y0, x1, y1)))
        rows.append((item["label"], x0, y0, x1, y1, None, (x1 - x0) * (y1 - y0)))
    if masks:
        encoded = png_masks_to_rle(
            [data for _, data, _ in masks],
            np.array([box for _, _, box in masks], dtype=np.int64),
            np.array([(height, width)] * len(masks), dtype=np.int64),
            threshold,
            pillow,
            max_png_pixels,
            1,
        )
        for (position, _, _), (error, counts, area) in zip(masks, encoded, strict=True):
            if error is not None:
                return None
            label, x0, y0, x1, y1, _, _ = rows[position]
            rows[position] = (label, x0, y0, x1, y1, counts, area)
    return rows, cut


_CUT_AFTER, _CUT_INSIDE = 1, 2
_DECODER = json.JSONDecoder(
    object_pairs_hook=lambda pairs: _item(pairs),
    parse_int=lambda text: _integer(text),
    parse_float=lambda text: _refuse(text),
    parse_constant=lambda text: _refuse(text),
)


def _read_list(body: str, open_end: bool) -> tuple[list[dict[str, Any]], int] | None:
    """The items of the body's list and where it was cut off (0: not), item by item
    with the json module; a cut only where ``open_end`` (the body runs to the text's
    end) and in the two shapes ``records.rs`` takes (after an item, inside an item)."""
    n = len(body)
    pos = _skip_ws(body, 0)
    if body[pos : pos + 1] != "[":
        return None
    pos += 1
    items: list[dict[str, Any]] = []
    while True:
        try:
            item, end = _DECODER.raw_decode(body, _skip_ws(body, pos))
        except (ValueError, _Refused, RecursionError):
            if open_end and items and _cut_in_item(body[_skip_ws(body, pos) :]):
                return items, _CUT_INSIDE
            return None
        if type(item) is not dict:
            return None
        items.append(item)
        pos = _skip_ws(body, end)
        if pos == n:
            return (items, _CUT_AFTER) if open_end else None
        if body[pos] == "]":
            return (items, 0) if _skip_ws(body, pos + 1) == n else None
        if body[pos] != ",":
            return None
        pos = _skip_ws(body, pos + 1)
        if pos == n and open_end:
            return items, _CUT_AFTER


def _skip_ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return pos if match is None else match.end()


def _cut_in_item(rest: str) -> bool:
    """Whether ``rest`` (an item to the text's end) is the beginning of a plain item
    that the text's end cut off, wherever the cut fell (``records.rs``'s ``cut_in_item``:
    a key, a box number, the label, the mask, the white space between them)."""
    try:
        _Prefix(rest).item()
    except _Stop as stop:
        return stop.at_end
    return False  # the item completes: not a cut


class _Stop(Exception):
    """Why :class:`_Prefix` stopped: the text ended (``at_end``), or something no
    plain item holds there."""

    def __init__(self, at_end: bool) -> None:
        super().__init__()
        self.at_end = at_end


# A string's characters up to its closing quote: no control character, JSON's escapes.
_STRING_BODY = re.compile(r'(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*')
# What a cut can leave of an escape: the backslash, or ``\u`` and up to three hex digits.
_CUT_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?")
_DIGITS = re.compile(r"[0-9]*")


class _Prefix:
    """A reader of the beginning of a plain item (the grammar ``_plain`` checks,
    each step allowed to meet the text's end, which raises ``_Stop(True)``)."""

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def next(self) -> str:
        self.at = _skip_ws(self.text, self.at)
        if self.at == len(self.text):
            raise _Stop(True)
        return self.text[self.at]

    def eat(self, char: str) -> None:
        if self.next() != char:
            raise _Stop(False)
        self.at += 1

    def item(self) -> None:
        self.eat("{")
        seen: set[str] = set()
        while True:
            key = self.key()
            if key in seen:
                raise _Stop(False)  # a key given twice
            seen.add(key)
            self.eat(":")
            if key == "box_2d":
                self.box_2d()
            else:
                self.string()  # the label, or the mask's data URL
            char = self.next()
            if char == "}":
                return
            if char != ",":
                raise _Stop(False)
            self.at += 1

    def key(self) -> str:
        self.eat('"')
        rest = self.text[self.at :]
        close = min((i for i in (rest.find('"'), rest.find("\\")) if i >= 0), default=-1)
        if close < 0:
            raise _Stop(any(key.startswith(rest) for key in _KEYS))
        self.at += close + 1
        if rest[close] != '"' or rest[:close] not in _KEYS:
            raise _Stop(False)
        return rest[:close]

    def box_2d(self) -> None:
        self.eat("[")
        for i in range(4):
            if i:
                self.eat(",")
            first = self.next()
            match = _DIGITS.match(self.text, self.at)
            digits = match.end() - self.at if match else 0
            if not 0 < digits <= 4 or (first == "0" and digits > 1):
                raise _Stop(False)
            self.at += digits
        self.eat("]")

    def string(self) -> None:
        self.eat('"')
        match = _STRING_BODY.match(self.text, self.at)
        end = match.end() if match else self.at
        if end < len(self.text) and self.text[end] == '"':
            self.at = end + 1
            return
        cut = _CUT_ESCAPE.fullmatch(self.text, end)
        raise _Stop(end == len(self.text) or cut is not None)


def _plain(item: dict[str, Any]) -> bool:
    """Whether an item (its keys already checked) holds the values the plain shape allows."""
    box, label = item["box_2d"], item["label"]
    if (
        not isinstance(label, str)
        or type(box) is not list
        or len(box) != 4
        or not all(type(v) is int and 0 <= v <= 1000 for v in box)
    ):
        return False
    ymin, xmin, ymax, xmax = box
    if ymin > ymax or xmin > xmax or not _utf8(label):
        return False  # reversed (the parser swaps it), or a lone surrogate from an escape
    if "mask" not in item:
        return True
    mask = item["mask"]
    if not isinstance(mask, str) or not mask.startswith(_PNG_PREFIX):
        return False
    base64 = mask[len(_PNG_PREFIX) :]
    # Nothing the general parser would strip or read as a <seg_> token; the rest
    # the decoder judges alike on both paths.
    if not base64 or base64[0] not in _GRAPHIC or base64[-1] not in _GRAPHIC:
        return False
    return "<" not in base64 and _utf8(base64)


def _has_copies(items: list[dict[str, Any]]) -> bool:
    """Whether an item equals an earlier one as JSON (the values are checked plain after)."""
    seen = set()
    for item in items:
        box, label, mask = item["box_2d"], item["label"], item.get("mask", _NO_MASK)
        try:
            key = (tuple(box) if type(box) is list else box, label, mask)
            if key in seen:
                return True
            seen.add(key)
        except TypeError:
            return False  # an unhashable value: not plain, refused below
    return False


_NO_MASK = object()


def _json_body(text: str) -> tuple[str, bool] | None:
    """The JSON of a bare answer or of its one fenced block (see ``records.rs``), and
    whether it runs to the text's end (bare, or a fence the cut left unclosed)."""
    if "~~~" in text:
        return None
    backticks = text.count("`")
    content = text.lstrip(_ASCII_WS)
    if backticks == 0:
        return (text, True) if content.startswith("[") else None
    if backticks not in (3, 6) or not content.startswith("```json"):
        return None
    first = len(text) - len(content)
    line_start = text.rfind("\n", 0, first) + 1
    if text[line_start:first].strip(" \t"):
        return None
    opening = _OPENING.match(text, first)
    if opening is None:
        return None
    if backticks == 3:
        return text[opening.end() :], True
    close = text.find("```", opening.end())
    if close < 0:
        return None
    close_line = text.rfind("\n", 0, close) + 1
    if close_line < opening.end() or text[close_line:close].strip(" \t"):
        return None
    end = _LINE_END.match(text, close + 3)
    if end is None or text[end.end() :].strip(_ASCII_WS):
        return None
    return text[opening.end() : close_line], False


def _item(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if (
        len(set(keys)) != len(keys)
        or not set(keys) <= _KEYS
        or not {"box_2d", "label"} <= set(keys)
    ):
        raise _Refused
    return dict(pairs)


def _utf8(text: str) -> bool:
    """Whether ``text`` has no lone surrogate (which the Rust reader refuses)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _integer(text: str) -> int:
    if text.startswith("-"):
        raise _Refused(text)  # "-0" too: the lane reads digits only
    return int(text)


def _refuse(text: str) -> Any:
    raise _Refused(text)
