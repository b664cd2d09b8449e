"""Training data of a tuning task (T2): ``Dataset``, ``TuningExamples``, ``TuningExample``.

``Dataset`` holds the ``dataset`` union, whose one documented member is
``examples``; each ``TuningExample`` has an ``output`` and one input (the
``model_input`` union: ``textInput``, or a kind this library does not model,
kept under its wire name in ``extra`` so it round-trips and can be checked).
Re-exported by ``gemini_vision.wire.tuned``.

>>> data = Dataset.of([("2 + 2", "4")])
>>> data.to_json()
{'examples': {'examples': [{'textInput': '2 + 2', 'output': '4'}]}}
>>> Dataset.from_json(data.to_json()) == data
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gemini_vision.wire.model import WireObject, list_field, object_field, str_field

__all__ = ["Dataset", "TuningExample", "TuningExamples"]


class TuningExample(WireObject):
    """One example: the expected ``output`` and the input (``text_input``, or an unknown kind).

    An input kind this library does not model (the reference mentions chat
    inputs) stays in ``extra`` under its wire name.

    >>> TuningExample(output="B", text_input="A").input_kinds
    ('textInput',)
    """

    __slots__ = ()
    _PATH = "example"

    text_input = str_field()
    output = str_field()

    def __init__(
        self,
        output: str | None = None,
        text_input: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._build(locals())

    @property
    def input_kinds(self) -> tuple[str, ...]:
        """The wire names of the ``model_input`` union members that are set."""
        extra = self.extra
        kinds = ["textInput"] if self.text_input is not None else []
        kinds += [k for k in extra if k.endswith("Input") and extra[k] is not None]
        return tuple(kinds)


class TuningExamples(WireObject):
    """A set of examples; all must have the same input kind."""

    __slots__ = ()

    examples = list_field(TuningExample)

    def __init__(self, examples: Iterable[TuningExample] = ()) -> None:
        self._build(locals())


class Dataset(WireObject):
    """Training data: the ``dataset`` union, whose one documented member is ``examples``."""

    __slots__ = ()
    _PATH = "trainingData"

    examples = object_field(TuningExamples)

    def __init__(
        self, examples: TuningExamples | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        self._build(locals())

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Dataset:
        """A dataset of text examples from ``(text_input, output)`` pairs.

        >>> len(Dataset.of([("a", "b")]).examples.examples)
        1
        """
        examples = [TuningExample(output=out, text_input=inp) for inp, out in pairs]
        return cls(TuningExamples(examples))
