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
from dataclasses import dataclass, field
from typing import Any

from gemini_vision.wire.fields import (
    compact,
    expect_object,
    extra_fields,
    read_list,
    read_object,
    read_str,
)

__all__ = ["Dataset", "TuningExample", "TuningExamples"]


@dataclass(frozen=True, slots=True)
class TuningExample:
    """One example: the expected ``output`` and the input (``text_input``, or an unknown kind).

    An input kind this library does not model (the reference mentions chat
    inputs) stays in ``extra`` under its wire name.

    >>> TuningExample(output="B", text_input="A").input_kinds
    ('textInput',)
    """

    output: str | None = None
    text_input: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def input_kinds(self) -> tuple[str, ...]:
        """The wire names of the ``model_input`` union members that are set."""
        kinds = ["textInput"] if self.text_input is not None else []
        kinds += [k for k in self.extra if k.endswith("Input") and self.extra[k] is not None]
        return tuple(kinds)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "example") -> TuningExample:
        """Parse the wire form."""
        return cls(
            output=read_str(data, "output", path),
            text_input=read_str(data, "textInput", path),
            extra=extra_fields(data, frozenset({"output", "textInput"})),
        )

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        return {**compact({"textInput": self.text_input, "output": self.output}), **self.extra}


@dataclass(frozen=True, slots=True)
class TuningExamples:
    """A set of examples; all must have the same input kind."""

    examples: tuple[TuningExample, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "examples") -> TuningExamples:
        """Parse the wire form."""
        items = read_list(data, "examples", path)
        return cls(
            tuple(
                TuningExample.from_json(
                    expect_object(item, f"{path}.examples[{i}]"), f"{path}.examples[{i}]"
                )
                for i, item in enumerate(items)
            )
        )

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        return {"examples": [example.to_json() for example in self.examples]}


@dataclass(frozen=True, slots=True)
class Dataset:
    """Training data: the ``dataset`` union, whose one documented member is ``examples``."""

    examples: TuningExamples | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Dataset:
        """A dataset of text examples from ``(text_input, output)`` pairs.

        >>> len(Dataset.of([("a", "b")]).examples.examples)
        1
        """
        examples = tuple(TuningExample(output=out, text_input=inp) for inp, out in pairs)
        return cls(TuningExamples(examples))

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "trainingData") -> Dataset:
        """Parse the wire form."""
        examples = read_object(data, "examples", path)
        return cls(
            examples=(
                None if examples is None else TuningExamples.from_json(examples, f"{path}.examples")
            ),
            extra=extra_fields(data, frozenset({"examples"})),
        )

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        own = {"examples": None if self.examples is None else self.examples.to_json()}
        return {**compact(own), **self.extra}
