"""Find the JSON in a model's answer and split it into raw items (SPEC S1).

Theory of operation. Models wrap their JSON in many ways: a fenced block with
three or more backticks and any tag, prose before or after, a bare array, a
sequence of bare objects, a wrapper object (``{"boxes": [...]}``), a single
object, or an answer cut off by ``maxOutputTokens``. The extraction works in
stages and stops at the first that yields JSON:

1. every fenced block, in order (an unclosed fence runs to the end of text);
2. the whole text as JSON;
3. a scanner that walks the text once, finds the outermost balanced
   ``[...]``/``{...}`` spans (inside a span it skips string literals and their
   escapes, outside it ignores prose quotes) and parses each span.

An answer that found nothing (``[]``, ``{"objects": []}``, fenced or not) is a
valid answer with no items and no diagnostic; ``no_json`` means there was no
JSON at all. An answer stored as a quoted, escaped string literal (printed
with ``repr`` or ``json.dumps``: ``"```json\\n[...]\\n```"``, with ``\\n``
as two characters) holds no JSON as it stands; when nothing else is found it
is unescaped once, with a note, and read again.

A span that does not parse as a whole (truncated, or one broken item) is
*salvaged*: it is split at its top-level commas with the same string-aware
scanner and every element is parsed on its own, so one bad or cut-off item
costs that item only, and says so in a diagnostic. Parsing uses the C JSON
decoder; the Python-level scanner only jumps between structural characters
(a regex), so long base64 strings cost no Python loop iterations.

>>> ext = extract('Sure!\\n```json\\n[{"box_2d": [1, 2, 3, 4], "label": "cat"}]\\n```')
>>> ext.items, ext.truncated
([{'box_2d': [1, 2, 3, 4], 'label': 'cat'}], False)
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gemini_vision.spatial.diagnostics import Diagnostic

__all__ = ["CUT_ITEM", "TRUNCATED_NOTE", "WRAPPER_KEYS", "Broken", "Extraction", "extract"]

#: Keys of a wrapper object whose list value holds the items.
WRAPPER_KEYS = ("boxes", "detections", "objects", "items")

# A fence opens on its own line: optional indent, 3+ backticks or tildes, an
# optional info string ("json", " JSON ", "python"), end of line.
_FENCE_LINE = re.compile(r"[ \t]*(`{3,}|~{3,})[ \t]*([^\n`]*?)[ \t]*\r?(?:\n|$)")
# Characters that matter to the scanner; everything else is skipped in C.
_STRUCTURAL = re.compile(r'[\[\]{}",\\]')
_CLOSER = {"[": "]", "{": "}"}
# Something a span must hold to be worth parsing: a string, an object or a number.
_JSON_INSIDE = re.compile(r'["{0-9]')
# How deep a mismatched closer may look for its opener (bounded work on hostile text).
_MISMATCH_DEPTH = 32
_WRAPPER_OPEN = re.compile(r'\s*"(?:' + "|".join(WRAPPER_KEYS) + r')"\s*:\s*\[')
#: Keys that make an object an item even if it also has a wrapper key.
ITEM_KEYS = ("box_2d", "bbox_2d", "point", "box_3d", "mask", "polygon", "label")
# Spans the scanner gives up on before it stops retrying (bounded work on hostile text).
_MAX_RESTARTS = 16


@dataclass(frozen=True, slots=True)
class Broken:
    """Stands in the item list for an element that could not be parsed.

    It keeps the numbering of the model's list: item 4 stays item 4 even when
    item 2 was cut off or malformed.
    """

    code: str
    reason: str


@dataclass
class Extraction:
    """What the text held: the raw items, whether it was cut off, and notes.

    Attributes:
        items: the JSON values that should be items, in order (normally dicts).
        truncated: the JSON ended before its closing bracket.
        source: where the JSON was found ("fenced block 1", "whole text", "scan").
        diagnostics: every part of the text that could not become an item.
    """

    items: list[Any] = field(default_factory=list)
    truncated: bool = False
    source: str = "none"
    diagnostics: list[Diagnostic] = field(default_factory=list)


#: The note of an answer whose JSON list was cut off (the batch's fast lane
#: writes the same for the cut-off answers it takes).
TRUNCATED_NOTE = (
    "the JSON ends before its closing bracket (the answer was cut off); every complete item is kept"
)
#: Why the item the cut fell inside is dropped (after ``item {index}: ``).
CUT_ITEM = "cut off (the answer ends inside it); the complete items are kept"


def extract(text: str) -> Extraction:
    """Extract the items of a model answer; never raises on any ``str``.

    Args:
        text: the model's text (fences, prose and truncation allowed).

    Returns:
        An ``Extraction`` whose ``items`` are the elements of the outermost JSON
        list (or of a wrapper's list, or the single object), in order. An element
        that could not be parsed is a ``Broken`` placeholder and has a diagnostic.

    >>> extract('{"boxes": [{"point": [5, 6]}]}').items
    [{'point': [5, 6]}]
    >>> ext = extract('[{"label": "a"}, {"label": "b')
    >>> ext.items[0], ext.truncated, ext.diagnostics[0].code
    ({'label': 'a'}, True, 'truncated')
    """
    ext = _extract(text)
    if _useful(ext):
        return ext
    unescaped = _unescaped(text)
    if unescaped is None:
        return ext
    again = _extract(unescaped)
    if not _useful(again):
        return ext
    again.diagnostics.insert(
        0,
        Diagnostic(
            None,
            "note",
            "escaped",
            "the answer is a quoted, escaped string literal (\\n as two characters); "
            "it was unescaped and parsed",
        ),
    )
    return again


def _useful(ext: Extraction) -> bool:
    """Whether the text held an object item, or JSON that says there are none (``[]``)."""
    if ext.source != "none" and not ext.items:
        return not any(d.action == "rejected" for d in ext.diagnostics)
    return any(isinstance(item, dict) for item in ext.items)


def _extract(text: str) -> Extraction:
    ext = Extraction()
    fences = _fenced_blocks(text)
    for number, (tag, body) in enumerate(fences, start=1):
        values, truncated, _whole = _values_in(body)
        if values:
            ext.source = f"fenced block {number}" + (f" ({tag})" if tag else "")
            if len(fences) > 1:
                ext.diagnostics.append(
                    Diagnostic(
                        None,
                        "note",
                        "fences",
                        f"the text has {len(fences)} fenced blocks; "
                        f"the items come from block {number}",
                    )
                )
            return _finish(ext, values, truncated)
    values, truncated, whole = _values_in(text)
    if values:
        ext.source = "whole text" if whole else "scan"
    return _finish(ext, values, truncated)


def _finish(ext: Extraction, values: list[Any], truncated: bool) -> Extraction:
    """Flatten the values into items and number the diagnostics of broken ones."""
    for value in values:
        if isinstance(value, list):
            ext.items.extend(value)
        elif isinstance(value, dict):
            wrapped = _unwrap(value)
            ext.items.extend([value] if wrapped is None else wrapped)
        elif isinstance(value, Broken):
            ext.items.append(value)
        else:
            ext.diagnostics.append(
                Diagnostic(
                    None,
                    "rejected",
                    "not_items",
                    f"the JSON is a {_json_type(value)}, not a list or object of items",
                )
            )
    for index, item in enumerate(ext.items):
        if isinstance(item, Broken):
            ext.diagnostics.append(
                Diagnostic(index, "rejected", item.code, f"item {index}: {item.reason}")
            )
    ext.truncated = truncated
    if truncated:
        ext.diagnostics.append(
            Diagnostic(
                None,
                "note",
                "truncated",
                TRUNCATED_NOTE,
            )
        )
    if not values:
        ext.diagnostics.append(
            Diagnostic(None, "rejected", "no_json", "the text contains no JSON list or object")
        )
    return ext


# An escaped answer: a backslash escape of a newline, quote or tab, and no real newline.
_ESCAPES = re.compile(r'\\[nt"]')
# Unescaping is for answers, not for arbitrarily long hostile text.
_MAX_UNESCAPE = 1 << 24


def _unescaped(text: str) -> str | None:
    r"""The text of an answer stored as a string literal, or None if it is not one.

    Two forms: a whole quoted literal (``"..."`` as ``json.dumps`` writes it, or
    ``'...'``/``"..."`` as Python's ``repr`` does), and the literal's inside
    without quotes (escapes, but no real line break).

    >>> _unescaped('"```json\\n[]\\n```"')
    '```json\n[]\n```'
    >>> _unescaped('[{\\"label\\": \\"a\\"}]')
    '[{"label": "a"}]'
    >>> _unescaped("plain prose") is None
    True
    """
    stripped = text.strip()
    if len(stripped) > _MAX_UNESCAPE or len(stripped) < 2:
        return None
    if stripped[0] == stripped[-1] and stripped[0] in "\"'":
        try:
            value = json.loads(stripped) if stripped[0] == '"' else None
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, str):
            value = _python_string(stripped)
        if isinstance(value, str):
            return value
    if "\n" not in stripped and _ESCAPES.search(stripped):
        try:
            value = json.loads('"' + stripped + '"')
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, str) else None
    return None


def _python_string(literal: str) -> str | None:
    """A Python string literal's value (``ast``: never evaluates anything else)."""
    try:
        node = ast.parse(literal, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(tag, body) of every fenced block; a closing fence has at least as many marks.

    An unclosed fence (the answer was cut off) runs to the end of the text.
    """
    blocks: list[tuple[str, str]] = []
    lines = _fence_lines(text)
    for opening in lines:
        marks, tag = opening.group(1), opening.group(2)
        start = opening.end()
        for closing in lines:
            fence = closing.group(1)
            if fence[0] == marks[0] and len(fence) >= len(marks) and not closing.group(2):
                blocks.append((tag, text[start : closing.start()]))
                break
        else:
            blocks.append((tag, text[start:]))
    return blocks


def _fence_lines(text: str) -> Iterator[re.Match[str]]:
    """Every line that is a fence, in order (found with str.find, not a regex scan)."""
    pos = 0
    # Next occurrence of each mark at or after pos (-1: none left); re-searched only when passed.
    ahead = {"```": _find_mark(text, "```", 0), "~~~": _find_mark(text, "~~~", 0)}
    while True:
        for mark_text, at in ahead.items():
            if 0 <= at < pos:
                ahead[mark_text] = _find_mark(text, mark_text, pos)
        found = [i for i in ahead.values() if i >= 0]
        if not found:
            return
        mark = min(found)
        line_start = text.rfind("\n", 0, mark) + 1
        match = _FENCE_LINE.match(text, line_start)
        if match is not None and match.start(1) == mark:
            yield match
            pos = match.end()
        else:
            pos = mark + 3


def _find_mark(text: str, mark: str, pos: int) -> int:
    """``text.find(mark, pos)`` for a mark of one repeated character, found with memchr.

    A single-character ``find`` is several times faster than a three-character
    one, and answers are mostly base64 masks, which hold neither mark character.

    >>> _find_mark("a`b``c```d", "```", 0), _find_mark("```", "```", 1)
    (6, -1)
    """
    char = mark[0]
    while (at := text.find(char, pos)) >= 0:
        if text.startswith(mark, at):
            return at
        pos = at + 1
    return -1


def _values_in(text: str) -> tuple[list[Any], bool, bool]:
    """The JSON values in ``text``, whether the last was cut off, whether all of it was JSON."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return [json.loads(stripped)], False, True
        except (ValueError, RecursionError):
            pass
    return (*_scan(text), False)


def _scan(text: str) -> tuple[list[Any], bool]:
    """Every outermost balanced span, parsed (or salvaged), in order.

    A balanced span that is not JSON (prose in brackets) is skipped whole; an
    unclosed one that is not JSON (a stray bracket) is retried from the next
    character, at most ``_MAX_RESTARTS`` times, so the work stays linear.
    """
    values: list[Any] = []
    walks = _Walks(text)
    openers = _Openers(text)
    pos = 0
    restarts = 0
    while restarts <= _MAX_RESTARTS:
        start = openers.next(pos)
        if start < 0:
            break
        end = walks.span_end(start)
        if end is not None:
            if _JSON_INSIDE.search(text, start + 1, end) is None:
                pos = end  # brackets in prose ("[see below]"): no string, object or number
                continue
            try:
                values.append(json.loads(text[start:end]))
                pos = end
                continue
            except (ValueError, RecursionError):
                pass
        # Unclosed (cut off, or a stray bracket in prose) or not valid as a whole.
        salvaged = _salvage(walks, start, len(text) if end is None else end, closed=end is not None)
        if salvaged is None and end is None:
            restarts += 1
            pos = start + 1
            continue
        values.extend(salvaged or [])
        if end is None:
            return values, True
        pos = end
    return values, False


class _Openers:
    """Finds the next "[" or "{"; each character is searched again only once passed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ahead = {"[": text.find("["), "{": text.find("{")}

    def next(self, pos: int) -> int:
        for char, at in self.ahead.items():
            if 0 <= at < pos:
                self.ahead[char] = self.text.find(char, pos)
        found = [at for at in self.ahead.values() if at >= 0]
        return min(found) if found else -1


def _looks_like_json(text: str, start: int) -> bool:
    """A span whose first inner character opens an object, list or string is meant as JSON."""
    inner = text[start + 1 : start + 64].lstrip()
    return inner[:1] in ('"', "{", "[")


class _Walks:
    """The bracket walks of one text, each span walked once.

    A truncated list is walked once to learn that it has no end and again to
    split it; the second walk is the first's events. Made per ``_scan`` call,
    so nothing outlives the text or is shared between threads.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._last: tuple[int, int, tuple[tuple[str, int, int], ...]] = (-1, -1, ())

    def events(self, start: int, stop: int) -> tuple[tuple[str, int, int], ...]:
        """``_walk``'s events over ``[start, stop)``, the last span's again if it is the same."""
        last_start, last_stop, events = self._last
        if (last_start, last_stop) != (start, stop):
            events = tuple(_walk(self.text, start, stop))
            self._last = (start, stop, events)
        return events

    def span_end(self, start: int) -> int | None:
        """Index after the bracket that closes the one at ``start``, or None if none does."""
        for kind, _depth, index in self.events(start, len(self.text)):
            if kind == "end":
                return index
        return None


def _walk(text: str, start: int, stop: int) -> Iterator[tuple[str, int, int]]:
    """Yield ("comma", depth, i) for each comma and ("end", 0, i) when the span closes.

    String literals are skipped with their escapes: a string ends at the next
    quote after an even run of backslashes, found with ``str.find`` (a mask's
    base64 text is most of an answer, and a regular expression would visit it
    character by character). A closer that does not match the innermost opener
    closes up to the nearest opener it matches within a few levels, or is
    ignored (bounded work however the brackets are nested).
    """
    stack = [_CLOSER[text[start]]]
    search = _STRUCTURAL.search
    pos = start + 1
    while (match := search(text, pos, stop)) is not None:
        index = match.start()
        char = match.group()
        pos = index + 1
        if char == '"':
            pos = _string_end(text, pos, stop)
            if pos < 0:
                return  # the text ends inside the string
        elif char == ",":
            yield "comma", len(stack), index
        elif char in "[{":
            stack.append(_CLOSER[char])
        elif char != "\\" and (stack[-1] == char or char in stack[-_MISMATCH_DEPTH:]):
            while stack.pop() != char:
                pass
            if not stack:
                yield "end", 0, index + 1
                return


def _string_end(text: str, pos: int, stop: int) -> int:
    """Index after the quote that closes the string whose text starts at ``pos``, or -1."""
    while (quote := text.find('"', pos, stop)) >= 0:
        before = quote - 1
        while text[before] == "\\":  # the string's opening quote ends the run
            before -= 1
        if (quote - 1 - before) % 2 == 0:
            return quote + 1
        pos = quote + 1
    return -1


def _salvage(walks: _Walks, start: int, end: int, *, closed: bool) -> list[Any] | None:
    """The elements of a broken span, each parsed alone (``Broken`` where that fails).

    A list span gives its elements; an object span whose first key is a wrapper
    key gives its list's elements; any other object is one broken item. Returns
    None when the span is not meant as JSON (prose in brackets).
    """
    text = walks.text
    if text[start] == "{":
        wrapper = _wrapper_member(text, start, end)
        if wrapper is None:
            if not _looks_like_json(text, start):
                return None
            reason = "this object is not valid JSON" if closed else "the answer ends inside it"
            return [Broken("bad_json" if closed else "truncated", f"lost: {reason}")]
        inner_start = wrapper.end() - 1
        inner_end = walks.span_end(inner_start)
        if inner_end is None or inner_end > end:
            return [_salvage_list(walks, inner_start, end, closed=False)]
        return [_salvage_list(walks, inner_start, inner_end, closed=True)]
    elements = _salvage_list(walks, start, end, closed=closed)
    if _looks_like_json(text, start) or not all(isinstance(e, Broken) for e in elements):
        return [elements]
    return None


def _wrapper_member(text: str, start: int, end: int) -> re.Match[str] | None:
    """The ``"boxes": [`` (or other wrapper key) member of the object at ``start``, if any."""
    member = _WRAPPER_OPEN.match(text, start + 1, end)
    if member is not None:
        return member
    for kind, depth, index in _walk(text, start, end):
        if kind == "comma" and depth == 1:
            member = _WRAPPER_OPEN.match(text, index + 1, end)
            if member is not None:
                return member
    return None


def _salvage_list(walks: _Walks, start: int, end: int, *, closed: bool) -> list[Any]:
    elements: list[Any] = []
    for piece, complete in _split(walks, start, end, closed=closed):
        if not piece.strip():
            continue  # "[]", a trailing comma, or text cut right after a comma
        try:
            elements.append(json.loads(piece))
        except (ValueError, RecursionError) as exc:
            if complete:
                elements.append(Broken("bad_json", f"not valid JSON ({exc}); dropped"))
            else:
                elements.append(Broken("truncated", CUT_ITEM))
    return elements


def _split(walks: _Walks, start: int, end: int, *, closed: bool) -> list[tuple[str, bool]]:
    """The top-level elements of the list span [start, end) and whether each is complete."""
    text = walks.text
    pieces: list[tuple[str, bool]] = []
    begin = start + 1
    for kind, depth, index in walks.events(start, end):
        if kind == "comma" and depth == 1:
            pieces.append((text[begin:index], True))
            begin = index + 1
        elif kind == "end":
            pieces.append((text[begin : index - 1], True))
            return pieces
    pieces.append((text[begin:end], closed))
    return pieces


def _unwrap(value: dict[str, Any]) -> list[Any] | None:
    """The list of a wrapper object (``{"boxes": [...]}``), or None for a plain item."""
    if any(key in value for key in ITEM_KEYS):
        return None
    for key in WRAPPER_KEYS:
        inner = value.get(key)
        if isinstance(inner, list):
            return inner
    return None
