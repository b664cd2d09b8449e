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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gemini_vision.api.errors import api_error_from_response
from gemini_vision.api.polling import Poller
from gemini_vision.errors import LocalError, ProtocolError
from gemini_vision.wire.fields import (
    expect_object,
    extra_fields,
    read_bool,
    read_float,
    read_int,
    read_list,
    read_object,
    read_str,
)
from gemini_vision.wire.http import HttpRequest, HttpResponse
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


@dataclass(frozen=True, slots=True)
class CreateTunedModelMetadata:
    """Progress of a tuning job, as the operation's ``metadata`` reports it."""

    tuned_model: str | None = None
    total_steps: int | None = None
    completed_steps: int | None = None
    completed_percent: float | None = None
    snapshots: tuple[TuningSnapshot, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str = "metadata") -> CreateTunedModelMetadata:
        """Parse the wire form (``@type`` and unknown fields are ignored)."""
        return cls(
            tuned_model=read_str(data, "tunedModel", path),
            total_steps=read_int(data, "totalSteps", path),
            completed_steps=read_int(data, "completedSteps", path),
            completed_percent=read_float(data, "completedPercent", path),
            snapshots=tuple(
                TuningSnapshot.from_json(
                    expect_object(s, f"{path}.snapshots[{i}]"), f"{path}.snapshots[{i}]"
                )
                for i, s in enumerate(read_list(data, "snapshots", path))
            ),
        )


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


_OPERATION_KEYS = frozenset({"name", "metadata", "done", "error", "response"})


@dataclass(frozen=True, slots=True)
class Operation:
    """A long-running operation of ``tunedModels.create``."""

    name: str
    metadata: CreateTunedModelMetadata = field(default_factory=CreateTunedModelMetadata)
    done: bool = False
    error: Status | None = None
    response: TunedModel | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any, path: str = "operation") -> Operation:
        """Parse an ``Operation``; ``done`` absent means false.

        >>> Operation.from_json({"name": "tunedModels/m/operations/o", "done": True,
        ...                      "error": {"code": 13, "message": "boom"}}).error.status_name
        'INTERNAL'
        """
        data = expect_object(data, path)
        name = read_str(data, "name", path)
        if not name:
            raise ProtocolError("an Operation must have a name", path=f"{path}.name")
        metadata = read_object(data, "metadata", path)
        error = read_object(data, "error", path)
        response = read_object(data, "response", path)
        return cls(
            name=name,
            metadata=(
                CreateTunedModelMetadata()
                if metadata is None
                else CreateTunedModelMetadata.from_json(metadata, f"{path}.metadata")
            ),
            done=bool(read_bool(data, "done", path)),
            error=None if error is None else Status.from_json(error, f"{path}.error"),
            response=(
                None
                if response is None
                else TunedModel.from_json(
                    {k: v for k, v in response.items() if k != "@type"}, f"{path}.response"
                )
            ),
            extra=extra_fields(data, _OPERATION_KEYS),
        )

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
    if not response.is_success:
        raise api_error_from_response(response)
    return Operation.from_json(response.json(what="an Operation"))


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
