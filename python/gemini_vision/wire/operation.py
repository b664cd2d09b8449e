"""The long-running ``Operation`` of tuned-model creation (T4), as a wire object.

``tunedModels.create`` answers an ``Operation`` named
``tunedModels/{model}/operations/{operation}``. Its ``metadata`` reports the
progress (``totalSteps``, ``completedSteps``, ``completedPercent``, the
``snapshots`` so far, the ``tunedModel`` being made); when ``done`` (absent
means false) it holds either an ``error`` (a ``google.rpc.Status``) or the
``response``, the finished ``TunedModel`` (a ``google.protobuf.Any``: its
``@type`` stays on the wire and out of the model). Waiting for one is
``gemini_vision.api.operations``.

>>> op = Operation.from_json({"name": "tunedModels/m/operations/o",
...                          "metadata": {"totalSteps": "10", "completedSteps": 4}})
>>> op.done, op.metadata.total_steps, op.progress().fraction
(False, 10, 0.4)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gemini_vision.errors import LocalError
from gemini_vision.wire.model import (
    Invalid,
    WireObject,
    any_field,
    flag_field,
    float_field,
    int_field,
    list_field,
    message_field,
    object_field,
    str_field,
    text_field,
)
from gemini_vision.wire.status import Status
from gemini_vision.wire.tuned import TunedModel, TuningSnapshot

__all__ = ["CreateTunedModelMetadata", "Operation", "TuningProgress"]


class CreateTunedModelMetadata(WireObject):
    """Progress of a tuning job, as the operation's ``metadata`` reports it (``@type`` kept)."""

    __slots__ = ()
    _PATH = "metadata"

    tuned_model = str_field()
    total_steps = int_field()
    completed_steps = int_field()
    completed_percent = float_field()
    snapshots = list_field(TuningSnapshot)

    def __init__(
        self,
        tuned_model: str | None = None,
        total_steps: int | None = None,
        completed_steps: int | None = None,
        completed_percent: float | None = None,
        snapshots: Iterable[TuningSnapshot] | None = None,
    ) -> None:
        self._build(locals())


@dataclass(frozen=True, slots=True)
class TuningProgress:
    """A progress event: how far a tuning job is, and its latest snapshot."""

    operation: str
    completed_steps: int
    total_steps: int | None
    done: bool
    latest: TuningSnapshot | None = None

    @property
    def fraction(self) -> float | None:
        """``completed / total`` in [0, 1], or ``None`` while the total is unknown."""
        if not self.total_steps:
            return None
        return min(1.0, self.completed_steps / self.total_steps)


class Operation(WireObject):
    """A long-running operation of ``tunedModels.create``."""

    __slots__ = ()
    _PATH = "operation"

    #: ``tunedModels/{model}/operations/{operation}`` (always set).
    name = text_field()
    #: The progress so far (empty when the server sent none).
    metadata = message_field(CreateTunedModelMetadata)
    #: Whether the operation finished (absent means false).
    done = flag_field()
    #: Why it failed, when it did.
    error = object_field(Status)
    #: The tuned model, when it succeeded.
    response = any_field(TunedModel)

    def __init__(
        self,
        name: str,
        metadata: CreateTunedModelMetadata | None = None,
        done: bool = False,
        error: Status | None = None,
        response: TunedModel | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._build(locals())
        if not name:
            raise LocalError("Operation.name (name): an Operation must have a name")

    @classmethod
    def _check(cls, value: Any) -> Any:
        value = super()._check(value)
        if not value.get("name"):
            error = Invalid("an Operation must have a name")
            error.path.append(".name")
            raise error
        return value

    def progress(self) -> TuningProgress:
        """The progress event for this state of the operation."""
        meta = self.metadata
        completed = meta.completed_steps or 0
        if self.done and self.error is None and meta.total_steps:
            completed = meta.total_steps
        return TuningProgress(
            operation=self.name,
            completed_steps=completed,
            total_steps=meta.total_steps,
            done=self.done,
            latest=meta.snapshots[-1] if meta.snapshots else None,
        )

    def result(self) -> TunedModel | None:
        """The tuned model when done, ``None`` while running; raises the error if it failed.

        >>> Operation("tunedModels/m/operations/o").result() is None
        True
        """
        if not self.done:
            return None
        if self.error is not None:
            raise self.error.to_error(f"{self.name} failed")
        if self.response is None:
            # Done without a response: the model exists; callers may fetch it by name.
            return TunedModel(name=self.metadata.tuned_model)
        return self.response
