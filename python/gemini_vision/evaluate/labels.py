"""Free-text labels to dataset categories.

A model names what it found in its own words ("Cat", "tabby cat", "kitty").
:class:`LabelMap` maps each label to a category id, trying in order:

1. the user's synonym table (keys compared after normalisation);
2. normalised exact match with a category name (Unicode NFKC, case-folded,
   ``_``/``-`` as spaces, runs of spaces collapsed, punctuation at the ends
   and a leading "a"/"an"/"the" dropped);
3. the prompt's category list: a label equal to one of the phrases the prompt
   asked for, or containing exactly one of them as whole words ("red car"
   for "car"), takes that phrase's category.

A label that maps to nothing is counted (:attr:`LabelMap.unmapped`, most
frequent first); the metrics count such items as false positives.

>>> lm = LabelMap({1: "person", 2: "traffic_light"}, synonyms={"man": "person"},
...               prompt=["person", "traffic light"])
>>> [lm.category(s) for s in ["Person", "man", "Traffic-Light", "red traffic light", "dog"]]
[1, 1, 2, 2, None]
>>> lm.unmapped.most_common()
[('dog', 1)]
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from gemini_vision.errors import EvaluationError

__all__ = ["LabelMap", "normalize_label"]

_ARTICLES = ("a ", "an ", "the ")


def normalize_label(label: str) -> str:
    """The form labels are compared in.

    >>> normalize_label("  The Traffic_Light. ")
    'traffic light'
    """
    s = unicodedata.normalize("NFKC", str(label)).casefold()
    s = re.sub(r"[_\-]+", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.strip(".,;:!?\"'()[]{} ")
    for art in _ARTICLES:
        if s.startswith(art):
            s = s[len(art) :]
            break
    return s


class LabelMap:
    """Maps free-text labels to category ids (see the module docstring for the rules).

    Args:
        categories: category id to name (a COCO ``categories`` list also works).
        synonyms: label to category name or id.
        prompt: the phrases the prompt asked for, as a list (each names a category)
            or a mapping of phrase to category name or id.
    """

    def __init__(
        self,
        categories: Mapping[Any, str] | Iterable[Mapping[str, Any]],
        synonyms: Mapping[str, Any] | None = None,
        prompt: Iterable[str] | Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(categories, Mapping):
            cats = dict(categories)
        else:
            cats = {c["id"]: str(c.get("name", "")) for c in categories}
        self.categories = cats
        self._by_name: dict[str, Any] = {}
        for cid, name in cats.items():
            self._by_name.setdefault(normalize_label(name), cid)
        self._synonyms = {
            normalize_label(k): self._resolve(v, f"synonym {k!r}")
            for k, v in (synonyms or {}).items()
        }
        phrases: dict[str, Any] = {}
        if isinstance(prompt, Mapping):
            for k, v in prompt.items():
                phrases[normalize_label(k)] = self._resolve(v, f"prompt phrase {k!r}")
        elif prompt is not None:
            for k in prompt:
                phrases[normalize_label(k)] = self._resolve(k, f"prompt phrase {k!r}")
        self._phrases = phrases
        self.unmapped: Counter[str] = Counter()
        self._cache: dict[str, Any] = {}

    def _resolve(self, value: Any, what: str) -> Any:
        if value in self.categories:
            return value
        cid = self._by_name.get(normalize_label(str(value)))
        if cid is None and value not in self.categories:
            raise EvaluationError(f"{what} names {value!r}, which is not a category")
        return cid

    def lookup(self, label: str) -> Any:
        """The category of ``label`` or None, without counting it."""
        if label in self._cache:
            return self._cache[label]
        n = normalize_label(label)
        cid = self._synonyms.get(n)
        if cid is None:
            cid = self._by_name.get(n)
        if cid is None and self._phrases:
            cid = self._phrases.get(n)
            if cid is None:
                hits = {
                    c
                    for p, c in self._phrases.items()
                    if p and re.search(rf"\b{re.escape(p)}\b", n)
                }
                if len(hits) == 1:
                    cid = hits.pop()
        self._cache[label] = cid
        return cid

    def category(self, label: str) -> Any:
        """The category of ``label``, or None (then counted in :attr:`unmapped`)."""
        cid = self.lookup(label)
        if cid is None:
            self.unmapped[normalize_label(label)] += 1
        return cid
