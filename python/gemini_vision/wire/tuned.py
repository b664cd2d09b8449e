"""Tuned-model resources (T2): ``TunedModel`` and the tuning task it was made by.

These are wire objects like every other (``gemini_vision.wire.model``): views
over the camelCase wire form, each field declared once. ``to_json()`` gives the
wire form as received or built, ``to_request_json()`` leaves out the
output-only fields (``name``, ``state``, the timestamps, snapshots,
``tunedModelSource.baseModel``) so they are never sent, and ``from_json()``
parses the server's form, raising ``ProtocolError`` with the path of a bad
field. Fields the library does not know are kept in ``extra`` and written
back, at every depth; a ``state`` name the library does not know is kept as
given (a plain string). Constructors check types: a wrong one raises
``LocalError`` naming the field.

Unions from the reference are plain optional attributes (``base_model`` and
``tuned_model_source`` for ``source_model``; ``learning_rate`` and
``learning_rate_multiplier``); the validation in
``gemini_vision.api.tuned_validation`` refuses more than one member before a
request is built. int64 ``readerProjectNumbers`` are ints here and strings on
the wire.

>>> model = TunedModel(
...     base_model="models/gemini-1.5-flash-001",
...     display_name="Sentence Translator",
...     tuning_task=TuningTask(training_data=Dataset.of([("1", "2"), ("3", "4")])),
...     reader_project_numbers=(123,),
... )
>>> body = model.to_request_json()
>>> body["readerProjectNumbers"], body["tuningTask"]["trainingData"]["examples"]["examples"][0]
(['123'], {'textInput': '1', 'output': '2'})
>>> TunedModel.from_json(model.to_json()) == model
True
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from gemini_vision.wire.model import (
    WireObject,
    enum_field,
    float_field,
    int64_list_field,
    int_field,
    list_field,
    object_field,
    str_field,
    timestamp_field,
)
from gemini_vision.wire.timestamp import Timestamp
from gemini_vision.wire.tuning_data import Dataset, TuningExample, TuningExamples

__all__ = [
    "Dataset",
    "Hyperparameters",
    "State",
    "TunedModel",
    "TunedModelSource",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
]


class State(str, enum.Enum):
    """The state of a tuned model (a name the library does not know reads as that string).

    >>> TunedModel.from_json({"state": "ACTIVE"}).state, TunedModel.from_json({"state": "PAUSED"}).state
    (<State.ACTIVE: 'ACTIVE'>, 'PAUSED')
    """  # noqa: E501

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"


class TunedModelSource(WireObject):
    """A tuned model used as the starting point (``baseModel`` is output only)."""

    __slots__ = ()

    tuned_model = str_field()
    base_model = str_field(output_only=True)

    def __init__(self, tuned_model: str | None = None, base_model: str | None = None) -> None:
        self._build(locals())


class Hyperparameters(WireObject):
    """Tuning hyperparameters (the ``learning_rate_option`` union, epochs, batch size).

    >>> Hyperparameters(epoch_count="3")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: Hyperparameters.epoch_count (epochCount): expected an integer, got '3'
    """  # noqa: E501

    __slots__ = ()

    learning_rate = float_field()
    learning_rate_multiplier = float_field()
    epoch_count = int_field()
    batch_size = int_field()

    def __init__(
        self,
        learning_rate: float | None = None,
        learning_rate_multiplier: float | None = None,
        epoch_count: int | None = None,
        batch_size: int | None = None,
    ) -> None:
        self._build(locals())


class TuningSnapshot(WireObject):
    """One recorded tuning step (all output only)."""

    __slots__ = ()
    _PATH = "snapshot"

    step = int_field()
    epoch = int_field()
    mean_loss = float_field()
    compute_time = timestamp_field()

    def __init__(
        self,
        step: int | None = None,
        epoch: int | None = None,
        mean_loss: float | None = None,
        compute_time: Timestamp | str | None = None,
    ) -> None:
        self._build(locals())


class TuningTask(WireObject):
    """The task that makes a tuned model: training data in, timings and snapshots out."""

    __slots__ = ()

    training_data = object_field(Dataset)
    hyperparameters = object_field(Hyperparameters)
    start_time = timestamp_field(output_only=True)
    complete_time = timestamp_field(output_only=True)
    #: The recorded steps, oldest first (empty while none is recorded).
    snapshots = list_field(TuningSnapshot, output_only=True)

    def __init__(
        self,
        training_data: Dataset | None = None,
        hyperparameters: Hyperparameters | None = None,
        start_time: Timestamp | str | None = None,
        complete_time: Timestamp | str | None = None,
        snapshots: Iterable[TuningSnapshot] | None = None,
    ) -> None:
        self._build(locals())


class TunedModel(WireObject):
    """A tuned model. ``name``, ``state``, ``create_time`` and ``update_time`` are output only.

    >>> TunedModel(display_name=5)
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: TunedModel.display_name (displayName): expected a string, got 5
    """

    __slots__ = ()
    _PATH = "tunedModel"

    name = str_field(output_only=True)
    state = enum_field(State, output_only=True)
    create_time = timestamp_field(output_only=True)
    update_time = timestamp_field(output_only=True)
    display_name = str_field()
    description = str_field()
    tuning_task = object_field(TuningTask)
    #: int64 project numbers: ints here, decimal strings on the wire.
    reader_project_numbers = int64_list_field()
    tuned_model_source = object_field(TunedModelSource)
    base_model = str_field()
    temperature = float_field()
    top_p = float_field()
    top_k = int_field()

    def __init__(
        self,
        *,
        name: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        state: State | str | None = None,
        create_time: Timestamp | str | None = None,
        update_time: Timestamp | str | None = None,
        tuning_task: TuningTask | None = None,
        reader_project_numbers: Iterable[int] | None = None,
        tuned_model_source: TunedModelSource | None = None,
        base_model: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._build(locals())
