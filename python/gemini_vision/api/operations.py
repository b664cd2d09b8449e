"""Waiting for the long-running operation of tuned-model creation (T4).

``tunedModels.create`` answers an ``Operation`` (a wire object:
``gemini_vision.wire.operation``, re-exported here). ``operation_poller``
builds a ``Poller`` that re-reads it with backoff, emits a ``TuningProgress``
event per answer, returns the ``TunedModel`` when done, and raises the
error's ``ApiError`` when it failed.

>>> parse_operation(HttpResponse(200, {}, b'{"name": "tunedModels/m/operations/o"}')).done
False
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gemini_vision.api.polling import Poller
from gemini_vision.api.resources import parse_resource
from gemini_vision.errors import LocalError
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.operation import CreateTunedModelMetadata, Operation, TuningProgress
from gemini_vision.wire.tuned import TunedModel

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
