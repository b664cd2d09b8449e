"""The salvage walker of ``spatial.extract`` against a character-by-character walker.

``_walk`` skips string literals with ``str.find`` (fast over long base64
masks); the reference below reads every character, keeping the escape state
one character at a time, and must yield the same commas and span ends.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.spatial import extract

CLOSER = {"[": "]", "{": "}"}


def reference_walk(text: str, start: int, stop: int) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    stack = [CLOSER[text[start]]]
    in_string = escaped = False
    for index in range(start + 1, stop):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == ",":
            out.append(("comma", len(stack), index))
        elif char in "[{":
            stack.append(CLOSER[char])
        elif char in "]}" and char in stack[-extract._MISMATCH_DEPTH :]:
            while stack.pop() != char:
                pass
            if not stack:
                out.append(("end", 0, index + 1))
                return out
    return out


TEXT = st.text(alphabet=st.sampled_from(list('[]{}",\\ab')), max_size=60)


@given(TEXT, st.sampled_from("[{"), st.integers(0, 70))
def test_walk_matches_a_character_walker(body: str, opener: str, cut: int) -> None:
    text = opener + body
    stop = min(len(text), max(cut, 1))
    assert list(extract._walk(text, 0, stop)) == reference_walk(text, 0, stop)


def test_long_strings_with_escapes() -> None:
    mask = "data:image/png;base64," + "iVBORw0KGgo" * 300
    text: Any = '[{"mask": "' + mask + '", "label": "a \\\\\\" b"}, {"label": "\\\\"}, 3]'
    assert list(extract._walk(text, 0, len(text))) == reference_walk(text, 0, len(text))
    assert extract.extract(text[:-1]).items[:1] == [
        {"mask": mask, "label": 'a \\" b'},
    ]


def test_a_cut_off_list_is_walked_once_and_not_kept(monkeypatch: Any) -> None:
    # The salvage needs the span's events twice (to learn it has no end, then
    # to split it); the second time reuses the first walk. Nothing at module
    # level holds the answer afterwards (a service parsing many large answers
    # must not pin the last one in memory).
    walked: list[tuple[int, int]] = []
    real_walk = extract._walk

    def counting_walk(text: str, start: int, stop: int) -> Any:
        walked.append((start, stop))
        return real_walk(text, start, stop)

    monkeypatch.setattr(extract, "_walk", counting_walk)
    items = ", ".join(f'{{"box_2d": [1, 2, 3, {n}], "label": "a{n}"}}' for n in range(5))
    text = "Here you go: [" + items + ', {"box_2d": [1, 2'
    ext = extract.extract(text)
    assert ext.truncated
    assert [v["label"] for v in ext.items if isinstance(v, dict)] == [f"a{n}" for n in range(5)]
    assert walked.count((text.index("["), len(text))) == 1
    module_strings = [v for v in vars(extract).values() if isinstance(v, (str, tuple))]
    assert not any(text in str(v) for v in module_strings)
