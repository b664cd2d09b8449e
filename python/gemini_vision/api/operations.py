"""Long-running operations of tuned-model creation (T4), and waiting for them.

``tunedModels.create`` answers an ``Operation`` named
``tunedModels/{model}/operations/{operation}``. Its ``metadata`` reports the
progress (``totalSteps``, ``completedSteps``, ``completedPercent``, the
``snapshots`` so far, the ``tunedModel`` being made); when ``done`` (absent
means false) it holds either an ``error`` (a ``google.rpc.Status``) or the
``response``, the finished ``TunedModel``.

``operation_poller`` builds a ``Poller`` that re-reads the operation with
backoff, emits a ``TuningProgress`` event per answer, returns the
``TunedModel`` when done, and raises the error's ``ApiError`` when it failed.

>>> op = Operation.from_json({"name": "tunedModels/m/operations/o",
...                          "metadata": {"totalSteps": "10", "completedSteps": 4}})
>>> op.done, op.metadata.total_steps, op.progress().fraction
(False, 10, 0.4)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gemini_vision.api.polling import Poller
from gemini_vision.api.resources import parse_resource
from gemini_vision.errors import LocalError
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.model import (
    Field,
    Invalid,
    WireObject,
    flag_field,
    float_field,
    int_field,
    list_field,
    object_field,
    str_field,
    text_field,
)
from gemini_vision.wire.status import Status
from gemini_vision.wire.tuned import TunedModel, TuningSnapshot

__all__ = [
    "CreateTunedModelMetadata",
    "Operation",
    "TuningProgress",
    "operation_poller",
    "parse_operation",
    "validate_operation_name",
]

_OPERATION_NAME = re.compile(r"tunedModels/[^/]+/operations/[^/]+")


def validate_operation_name(name: str) -> None:
    """Refuse a name that is not ``tunedModels/{model}/operations/{operation}``.

    >>> validate_operation_name("tunedModels/m/operations/o")
    >>> validate_operation_name("operations/o")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: name: must look like tunedModels/{model}/operations/{operation}, got 'operations/o'
    """  # noqa: E501
    if not isinstance(name, str) or _OPERATION_NAME.fullmatch(name) is None:
        raise LocalError(
            f"name: must look like tunedModels/{{model}}/operations/{{operation}}, got {name!r}"
        )


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


def _metadata(obj: WireObject, value: Any) -> CreateTunedModelMetadata:
    # Absent metadata reads as empty progress, so callers need no None check.
    return CreateTunedModelMetadata._wrap({} if value is None else value)


def _response(obj: WireObject, value: Any) -> TunedModel | None:
    # The response is a google.protobuf.Any: its "@type" names TunedModel and is
    # not a field of the model itself.
    if value is None:
        return None
    return TunedModel._wrap({k: v for k, v in value.items() if k != "@type"})


def _put_model(value: Any) -> Any:
    if not isinstance(value, TunedModel):
        raise Invalid(f"expected a TunedModel, got {value!r:.60}")
    return value.to_json()


def _put_metadata(value: Any) -> Any:
    if not isinstance(value, CreateTunedModelMetadata):
        raise Invalid(f"expected a CreateTunedModelMetadata, got {value!r:.60}")
    return value.to_json()


class Operation(WireObject):
    """A long-running operation of ``tunedModels.create``."""

    __slots__ = ()
    _PATH = "operation"

    #: ``tunedModels/{model}/operations/{operation}`` (always set).
    name = text_field()
    #: The progress so far (empty when the server sent none).
    metadata: Field[CreateTunedModelMetadata] = Field(
        CreateTunedModelMetadata._check, _metadata, _put_metadata
    )
    #: Whether the operation finished (absent means false).
    done = flag_field()
    #: Why it failed, when it did.
    error = object_field(Status)
    #: The tuned model, when it succeeded.
    response: Field[TunedModel | None] = Field(TunedModel._check, _response, _put_model)

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


def parse_operation(response: HttpResponse) -> Operation:
    """Parse an ``Operation`` answer (create or ``operations.get``); errors raise ``ApiError``."""
    return parse_resource(response, Operation, "an Operation")


def operation_poller(
    operation: Operation,
    request: HttpRequest,
    *,
    on_progress: Callable[[TuningProgress], None] | None = None,
    initial_delay: float = 1.0,
    multiplier: float = 1.5,
    max_delay: float = 30.0,
    timeout: float | None = None,
) -> Poller[Operation, TunedModel]:
    """A ``Poller`` that waits for ``operation`` by sending ``request`` (its ``operations.get``).

    >>> from gemini_vision.wire.http import HttpResponse
    >>> op = Operation("tunedModels/m/operations/o")
    >>> poller = operation_poller(op, HttpRequest("GET", "https://h/v1beta/" + op.name),
    ...                           initial_delay=2.0)
    >>> poller.next_step().delay
    2.0
    >>> poller.receive_response(HttpResponse(200, {}, b'{"name": "tunedModels/m/operations/o",'
    ...     b' "done": true, "response": {"name": "tunedModels/m", "state": "ACTIVE"}}'))
    >>> poller.next_step().value.state
    <State.ACTIVE: 'ACTIVE'>
    """

    def update(value: Operation) -> None:
        if on_progress is not None:
            on_progress(value.progress())

    return Poller(
        request,
        parse=parse_operation,
        check=Operation.result,
        initial=operation,
        initial_delay=initial_delay,
        multiplier=multiplier,
        max_delay=max_delay,
        timeout=timeout,
        on_update=update,
        what=operation.name,
    )
