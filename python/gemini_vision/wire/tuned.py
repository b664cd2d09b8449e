"""Tuned-model resources (T2): ``TunedModel`` and the tuning task it was made by.

Values are frozen dataclasses with snake_case attributes; ``to_json()`` writes
the camelCase wire form with every field that is set, ``to_request_json()``
leaves out the output-only fields (``name``, ``state``, the timestamps,
snapshots, ``tunedModelSource.baseModel``) so they are never sent, and
``from_json()`` parses the server's form, raising ``ProtocolError`` with the
path of a bad field. Fields the library does not know are kept in ``extra``
and written back.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gemini_vision.wire.fields import (
    compact,
    expect_object,
    extra_fields,
    read_float,
    read_int,
    read_list,
    read_object,
    read_str,
    read_timestamp,
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
    """The state of a tuned model; unknown names from the server read as ``STATE_UNSPECIFIED``."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"

    @classmethod
    def parse(cls, value: str | None) -> State | None:
        """``None`` stays ``None``; a name this library does not know is ``STATE_UNSPECIFIED``.

        >>> State.parse("ACTIVE"), State.parse("PAUSED")
        (<State.ACTIVE: 'ACTIVE'>, <State.STATE_UNSPECIFIED: 'STATE_UNSPECIFIED'>)
        """
        if value is None:
            return None
        try:
            return cls(value)
        except ValueError:
            return cls.STATE_UNSPECIFIED


@dataclass(frozen=True, slots=True)
class TunedModelSource:
    """A tuned model used as the starting point (``baseModel`` is output only)."""

    tuned_model: str | None = None
    base_model: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "tunedModelSource") -> TunedModelSource:
        """Parse the wire form."""
        return cls(read_str(data, "tunedModel", path), read_str(data, "baseModel", path))

    def to_json(self, *, request: bool = False) -> dict[str, Any]:
        """The wire form; ``request=True`` leaves out the output-only ``baseModel``."""
        return compact(
            {"tunedModel": self.tuned_model, "baseModel": None if request else self.base_model}
        )


@dataclass(frozen=True, slots=True)
class Hyperparameters:
    """Tuning hyperparameters (the ``learning_rate_option`` union, epochs, batch size)."""

    learning_rate: float | None = None
    learning_rate_multiplier: float | None = None
    epoch_count: int | None = None
    batch_size: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "hyperparameters") -> Hyperparameters:
        """Parse the wire form."""
        return cls(
            learning_rate=read_float(data, "learningRate", path),
            learning_rate_multiplier=read_float(data, "learningRateMultiplier", path),
            epoch_count=read_int(data, "epochCount", path),
            batch_size=read_int(data, "batchSize", path),
        )

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        return compact(
            {
                "learningRate": self.learning_rate,
                "learningRateMultiplier": self.learning_rate_multiplier,
                "epochCount": self.epoch_count,
                "batchSize": self.batch_size,
            }
        )


@dataclass(frozen=True, slots=True)
class TuningSnapshot:
    """One recorded tuning step (all output only)."""

    step: int | None = None
    epoch: int | None = None
    mean_loss: float | None = None
    compute_time: Timestamp | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "snapshot") -> TuningSnapshot:
        """Parse the wire form."""
        return cls(
            step=read_int(data, "step", path),
            epoch=read_int(data, "epoch", path),
            mean_loss=read_float(data, "meanLoss", path),
            compute_time=read_timestamp(data, "computeTime", path),
        )

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        return compact(
            {
                "step": self.step,
                "epoch": self.epoch,
                "meanLoss": self.mean_loss,
                "computeTime": None if self.compute_time is None else self.compute_time.to_json(),
            }
        )


def _snapshots(data: Mapping[str, Any], path: str) -> tuple[TuningSnapshot, ...]:
    return tuple(
        TuningSnapshot.from_json(
            expect_object(item, f"{path}.snapshots[{i}]"), f"{path}.snapshots[{i}]"
        )
        for i, item in enumerate(read_list(data, "snapshots", path))
    )


@dataclass(frozen=True, slots=True)
class TuningTask:
    """The task that makes a tuned model: training data in, timings and snapshots out."""

    training_data: Dataset | None = None
    hyperparameters: Hyperparameters | None = None
    start_time: Timestamp | None = None
    complete_time: Timestamp | None = None
    snapshots: tuple[TuningSnapshot, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "tuningTask") -> TuningTask:
        """Parse the wire form."""
        training = read_object(data, "trainingData", path)
        hyper = read_object(data, "hyperparameters", path)
        return cls(
            training_data=(
                None if training is None else Dataset.from_json(training, f"{path}.trainingData")
            ),
            hyperparameters=(
                None
                if hyper is None
                else Hyperparameters.from_json(hyper, f"{path}.hyperparameters")
            ),
            start_time=read_timestamp(data, "startTime", path),
            complete_time=read_timestamp(data, "completeTime", path),
            snapshots=_snapshots(data, path),
        )

    def to_json(self, *, request: bool = False) -> dict[str, Any]:
        """The wire form; ``request=True`` leaves out the output-only fields."""
        out = compact(
            {
                "trainingData": None
                if self.training_data is None
                else self.training_data.to_json(),
                "hyperparameters": (
                    None if self.hyperparameters is None else self.hyperparameters.to_json()
                ),
            }
        )
        if not request:
            out.update(
                compact(
                    {
                        "startTime": _ts(self.start_time),
                        "completeTime": _ts(self.complete_time),
                        "snapshots": [s.to_json() for s in self.snapshots] or None,
                    }
                )
            )
        return out


def _ts(value: Timestamp | None) -> str | None:
    return None if value is None else value.to_json()


_TUNED_MODEL_KEYS = frozenset(
    {
        "name",
        "displayName",
        "description",
        "state",
        "createTime",
        "updateTime",
        "tuningTask",
        "readerProjectNumbers",
        "tunedModelSource",
        "baseModel",
        "temperature",
        "topP",
        "topK",
    }
)


@dataclass(frozen=True, slots=True)
class TunedModel:
    """A tuned model. ``name``, ``state``, ``create_time`` and ``update_time`` are output only."""

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    state: State | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    tuning_task: TuningTask | None = None
    reader_project_numbers: tuple[int, ...] = ()
    tuned_model_source: TunedModelSource | None = None
    base_model: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "tunedModel") -> TunedModel:
        """Parse the wire form; ``ProtocolError`` names a bad field."""
        expect_object(data, path)
        task = read_object(data, "tuningTask", path)
        source = read_object(data, "tunedModelSource", path)
        readers = read_list(data, "readerProjectNumbers", path)
        numbers = tuple(
            read_int({f"readerProjectNumbers[{i}]": value}, f"readerProjectNumbers[{i}]", path) or 0
            for i, value in enumerate(readers)
        )
        return cls(
            name=read_str(data, "name", path),
            display_name=read_str(data, "displayName", path),
            description=read_str(data, "description", path),
            state=State.parse(read_str(data, "state", path)),
            create_time=read_timestamp(data, "createTime", path),
            update_time=read_timestamp(data, "updateTime", path),
            tuning_task=None if task is None else TuningTask.from_json(task, f"{path}.tuningTask"),
            reader_project_numbers=numbers,
            tuned_model_source=(
                None
                if source is None
                else TunedModelSource.from_json(source, f"{path}.tunedModelSource")
            ),
            base_model=read_str(data, "baseModel", path),
            temperature=read_float(data, "temperature", path),
            top_p=read_float(data, "topP", path),
            top_k=read_int(data, "topK", path),
            extra=extra_fields(data, _TUNED_MODEL_KEYS),
        )

    def to_json(self, *, request: bool = False) -> dict[str, Any]:
        """The wire form with every field that is set (``request=True``: input fields only)."""
        output_only = {
            "name": self.name,
            "state": None if self.state is None else self.state.value,
            "createTime": _ts(self.create_time),
            "updateTime": _ts(self.update_time),
        }
        fields = {
            **({} if request else output_only),
            "displayName": self.display_name,
            "description": self.description,
            "tuningTask": (
                None if self.tuning_task is None else self.tuning_task.to_json(request=request)
            ),
            "readerProjectNumbers": [str(n) for n in self.reader_project_numbers] or None,
            "tunedModelSource": (
                None
                if self.tuned_model_source is None
                else self.tuned_model_source.to_json(request=request)
            ),
            "baseModel": self.base_model,
            "temperature": self.temperature,
            "topP": self.top_p,
            "topK": self.top_k,
        }
        return {**compact(fields), **self.extra}

    def to_request_json(self) -> dict[str, Any]:
        """The body of a create or patch: output-only fields are never sent."""
        return self.to_json(request=True)
