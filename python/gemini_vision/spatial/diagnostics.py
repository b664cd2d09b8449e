"""Diagnostics: what parsing repaired, rejected or noticed, item by item (SPEC S4).

Nothing the model said disappears silently: an item that is dropped, or kept
after a repair, gets a ``Diagnostic`` naming its index in the model's list and
a reason a person understands. ``code`` is a short stable word for programs.

>>> d = Diagnostic(3, "repaired", "reversed", "item 3: box corners were reversed; sorted")
>>> str(d)
'item 3: box corners were reversed; sorted'
>>> d.action
'repaired'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Action", "Diagnostic"]

#: "rejected": the item (or text) was dropped; "repaired": kept after a change;
#: "note": kept as given, but worth knowing (a mask that cannot be decoded, a truncation).
Action = Literal["rejected", "repaired", "note"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One thing parsing did not take as given.

    Attributes:
        index: the item's position in the model's list (``None``: about the whole text).
        action: "rejected", "repaired" or "note".
        code: a short stable word ("clamped", "reversed", "bad_number", "truncated", ...).
        message: the sentence for people; it names the item and the values.
    """

    index: int | None
    action: Action
    code: str
    message: str

    def __str__(self) -> str:
        return self.message
