"""``parse`` in two halves: everything but the PNG decoding, then the result.

``prepare`` reads the answer, its items and their polygon or empty masks,
and lists the PNG masks still to decode (``Pending.png_jobs``);
``Pending.finish`` takes those PNGs' decoded masks (or errors) and builds the
``SpatialResult``. ``parse`` is the two in a row with ``decode_pngs`` (the fused
kernel, one call per answer) between them; ``gemini_vision.batch`` runs
``prepare`` for many answers and sends the PNGs of all of them to the kernel in
one call, so both give the same items and diagnostics.

>>> answer = '[{"box_2d": [0, 0, 500, 500], "mask": "iVBORw0KGgo="}, {"point": [1, 2]}]'
>>> pending = prepare(answer, (4, 4))
>>> [(job.index, job.box) for job in pending.png_jobs], len(pending.drafts)
([(0, (0, 0, 2, 2))], 2)
>>> from gemini_vision.masks import MaskFailure
>>> result = pending.finish([MaskFailure((0, 0, 2, 2), "MaskDecodeError", "PNG cut short")])
>>> result.items[0].kind, result.diagnostics[0].code
('box', 'mask_png')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gemini_vision.masks import MaskFailure, MaskResult
from gemini_vision.spatial.decode import (
    DecodedMask,
    Limits,
    PngJob,
    decoded,
    mask_failure,
    plan_masks,
)
from gemini_vision.spatial.diagnostics import Diagnostic
from gemini_vision.spatial.extract import extract
from gemini_vision.spatial.items import Draft, Kind, SpatialItem, lazy, read_item
from gemini_vision.spatial.response import answer_text
from gemini_vision.spatial.result import SpatialResult
from gemini_vision.wire.response import GenerateContentResponse

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["Pending", "find_duplicates", "prepare"]


@dataclass
class Pending:
    """An answer read up to its PNG masks.

    Attributes:
        image_size: ``(width, height)``.
        threshold: the threshold the masks are made with.
        drafts: the kept items, in the model's order.
        diagnostics: what was repaired or dropped so far (unsorted).
        masks: masks made without decoding (polygons, empty boxes), by item index.
        png_jobs: the PNG masks to decode, in item order.
        truncated, finish_reason, source: as on ``SpatialResult``.
        pillow, limits: what the probability maps are made with, when asked for.
    """

    image_size: tuple[int, int]
    threshold: int
    drafts: list[Draft]
    diagnostics: list[Diagnostic]
    masks: dict[int, DecodedMask]
    png_jobs: list[PngJob]
    truncated: bool
    finish_reason: str | None
    source: str
    pillow: int = 13
    limits: Limits = field(default_factory=Limits)

    def reject_png(self, index: int, failure: MaskFailure) -> None:
        """Record that the PNG mask of item ``index`` could not be decoded."""
        self.diagnostics.append(mask_failure(index, failure))

    def sorted_diagnostics(self) -> tuple[Diagnostic, ...]:
        """Notes about the whole text first, then item by item, each in the order found."""
        return tuple(sorted(self.diagnostics, key=_diagnostic_order))

    def finish(self, results: Sequence[MaskResult | MaskFailure]) -> SpatialResult:
        """The result, given ``png_jobs``' pipeline results, in order.

        A result without its probability map (the contour path) gives an item
        whose ``probabilities`` are made on first read.
        """
        out = dict(self.masks)
        for job, result in zip(self.png_jobs, results, strict=True):
            if isinstance(result, MaskResult):
                out[job.index] = decoded(job, result, self.threshold, self.pillow, self.limits)
            else:
                self.reject_png(job.index, result)
        return SpatialResult(
            items=tuple(_item(d, out.get(d.index)) for d in self.drafts),
            diagnostics=self.sorted_diagnostics(),
            image_size=self.image_size,
            truncated=self.truncated,
            finish_reason=self.finish_reason,
            source=self.source,
            threshold=self.threshold,
        )


def prepare(
    text: str | Mapping[str, Any] | GenerateContentResponse,
    size: tuple[int, int],
    *,
    threshold: int = 127,
    pillow: int = 13,
    limits: Limits | None = None,
    duplicates: str = "keep",
) -> Pending:
    """Read an answer up to its PNG masks (arguments checked by the caller, as ``parse`` does).

    ``duplicates``: "keep" (an exact copy of an earlier item is kept, with a
    ``duplicate`` note) or "drop" (it is dropped, with a ``duplicate`` rejection).

    Raises:
        LocalError: ``text`` is neither a string nor a mapping.
    """
    limits = limits or Limits()
    answer, finish_reason, diags = answer_text(text)
    answer = _capped_answer(answer, limits, diags)
    extraction = extract(answer)
    diags.extend(extraction.diagnostics)
    raws = _capped_items(extraction.items, limits, diags)
    copies = find_duplicates(raws)
    for index, original in copies.items():
        if duplicates == "drop":
            diags.append(
                Diagnostic(
                    index,
                    "rejected",
                    "duplicate",
                    f"item {index} is an exact copy of item {original}; dropped",
                )
            )
        else:
            diags.append(
                Diagnostic(
                    index,
                    "note",
                    "duplicate",
                    f"item {index} is an exact copy of item {original}; kept",
                )
            )
    drafts = [
        draft
        for index, raw in enumerate(raws)
        if not (duplicates == "drop" and index in copies)
        and (draft := read_item(index, raw, size, diags)) is not None
    ]
    plan = plan_masks(drafts, limits=limits, diags=diags)
    if finish_reason == "MAX_TOKENS" and not extraction.truncated:
        diags.append(
            Diagnostic(
                None,
                "note",
                "truncated",
                "the response stopped at MAX_TOKENS; the items given are complete, "
                "but the model may have had more to say",
            )
        )
    return Pending(
        image_size=size,
        threshold=threshold,
        drafts=drafts,
        diagnostics=diags,
        masks=plan.ready,
        png_jobs=plan.png_jobs,
        truncated=extraction.truncated or finish_reason == "MAX_TOKENS",
        finish_reason=finish_reason,
        source=extraction.source,
        pillow=pillow,
        limits=limits,
    )


def _capped_answer(answer: str, limits: Limits, diags: list[Diagnostic]) -> str:
    """The answer cut to ``limits.max_answer_bytes`` UTF-8 bytes (with a diagnostic)."""
    # A str has at most 4 UTF-8 bytes per character: most answers skip the encoding.
    if len(answer) * 4 <= limits.max_answer_bytes:
        return answer
    encoded = answer.encode("utf-8", "surrogatepass")
    if len(encoded) <= limits.max_answer_bytes:
        return answer
    cut = encoded[: max(limits.max_answer_bytes, 0)].decode("utf-8", "ignore")
    diags.append(
        Diagnostic(
            None,
            "rejected",
            "limit",
            f"the answer has {len(encoded)} bytes, more than the limit of "
            f"{limits.max_answer_bytes}; only the first {limits.max_answer_bytes} were read",
        )
    )
    return cut


def _capped_items(items: list[Any], limits: Limits, diags: list[Diagnostic]) -> list[Any]:
    if len(items) <= limits.max_items:
        return items
    diags.append(
        Diagnostic(
            None,
            "rejected",
            "limit",
            f"the answer has {len(items)} items, more than the limit of {limits.max_items}; "
            f"items {limits.max_items} and later were dropped",
        )
    )
    return items[: max(limits.max_items, 0)]


def find_duplicates(items: Sequence[Any]) -> dict[int, int]:
    """Items that are exact copies of an earlier one: ``{copy's index: first index}``.

    Exact means equal as JSON values (every key and value, masks included).

    >>> a, b = {"box_2d": [1, 2, 3, 4], "label": "x"}, {"box_2d": [1, 2, 3, 5], "label": "x"}
    >>> find_duplicates([a, b, dict(a), b])
    {2: 0, 3: 1}
    """
    seen: dict[tuple[str, str], list[int]] = {}
    out: dict[int, int] = {}
    for index, raw in enumerate(items):
        if isinstance(raw, Mapping):
            # A cheap key first, so only likely copies are compared in full.
            key = (repr(raw.get("box_2d", raw.get("point"))), repr(raw.get("label")))
        else:
            key = ("", repr(raw)[:64])
        earlier = seen.setdefault(key, [])
        for first in earlier:
            if _same_json(items[first], raw):
                out[index] = first
                break
        else:
            earlier.append(index)
    return out


def _same_json(a: Any, b: Any) -> bool:
    # == alone would call 1 and 1.0 (or True and 1) the same; JSON text would not.
    if type(a) is not type(b):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _diagnostic_order(d: Diagnostic) -> int:
    # sorted() is stable, so each group keeps the order in which it was found.
    return -1 if d.index is None else d.index


def _item(draft: Draft, made: DecodedMask | None) -> SpatialItem:
    kind: Kind
    if made is not None:
        kind = "segment"
    elif draft.box is not None:
        kind = "box"
    elif draft.point is not None:
        kind = "point"
    else:
        kind = "box_3d"
    return SpatialItem(
        index=draft.index,
        kind=kind,
        label=draft.label,
        box=draft.box,
        box_float=draft.box_float,
        box_2d=draft.box_2d,
        point=draft.point,
        point_float=draft.point_float,
        box_3d=draft.box_3d,
        confidence=draft.confidence,
        mask=None if made is None else made.mask,
        probabilities=None if made is None else _probabilities(made),
        mask_source=draft.mask_source,
        extra=draft.extra,
    )


def _probabilities(decoded: DecodedMask) -> npt.NDArray[np.uint8]:
    made = decoded.probabilities
    return lazy(made) if callable(made) else made
