"""``tunedModels.create`` as a flow that survives a lost answer (T1).

A create with a ``tunedModelId`` may be re-sent: the id makes it idempotent.
But when the first attempt reached the server and only its answer was lost
(a reset connection, a timeout, a 503 from a proxy after the backend acted),
the retry is answered ``ALREADY_EXISTS``: the model this very call created is
in the way. Reporting that as a failure would tell the caller that a model
which is tuning right now was not made.

So when a create *with an id* was sent more than once and the last answer is
``ALREADY_EXISTS``, the flow looks the model up and returns its operation:
``tunedModels/{id}/operations`` (the most recent one) when the server lists
it, else an ``Operation`` built from the model itself (done with the model when
it is ``ACTIVE``; with its error when ``FAILED``; a model still tuning on a
server that lists no operations leaves the ``ALREADY_EXISTS`` raised).
``ALREADY_EXISTS`` on the first attempt is a genuine conflict (the id was
taken before) and is raised.

>>> from gemini_vision.api.endpoints import GeminiApi
>>> from gemini_vision.api.retry import RetryPolicy
>>> from gemini_vision.wire.http import HttpResponse
>>> from gemini_vision.wire.tuned import Dataset, TunedModel, TuningTask
>>> model = TunedModel(base_model="models/gemini-1.5-flash-001",
...                    tuning_task=TuningTask(training_data=Dataset.of([("1", "2")])))
>>> flow = create_tuned_model_flow(GeminiApi("k"), model, "m1", RetryPolicy())
>>> next(flow).url
'https://generativelanguage.googleapis.com/v1beta/tunedModels?tunedModelId=m1'
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from gemini_vision.api.endpoints import Endpoint, json_request
from gemini_vision.api.errors import api_error_from_response
from gemini_vision.api.flow import Flow, with_retry
from gemini_vision.api.operations import Operation, parse_operation
from gemini_vision.api.resources import require_gemini_api
from gemini_vision.api.retry import RetryPolicy
from gemini_vision.api.tuned_models import (
    build_create_tuned_model,
    build_get_tuned_model,
    parse_tuned_model,
    tuned_model_name,
)
from gemini_vision.errors import ProtocolError
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.status import Status
from gemini_vision.wire.tuned import TunedModel

__all__ = ["create_tuned_model_flow"]


def _counted(flow: Flow[HttpResponse], sent: list[int]) -> Flow[HttpResponse]:
    """``flow`` unchanged, counting the requests it yields in ``sent[0]``."""
    step = next(flow)
    while True:
        if isinstance(step, HttpRequest):
            sent[0] += 1
        try:
            reply = yield step
        except GeneratorExit:
            flow.close()
            raise
        except BaseException as error:  # a transport error for the flow to classify
            try:
                step = flow.throw(error)
            except StopIteration as stop:
                result: HttpResponse = stop.value
                return result
            continue
        try:
            step = flow.send(reply)
        except StopIteration as stop:
            final: HttpResponse = stop.value
            return final


def create_tuned_model_flow(
    endpoint: Endpoint,
    model: TunedModel,
    tuned_model_id: str | None,
    policy: RetryPolicy,
) -> Generator[Any, Any, Operation]:
    """The create, with retry, resolving a lost answer's ``ALREADY_EXISTS`` (see above)."""
    request = build_create_tuned_model(endpoint, model, tuned_model_id=tuned_model_id)
    sent = [0]
    response = yield from _counted(with_retry(policy, request), sent)
    if response.status != 409 or tuned_model_id is None or sent[0] < 2:
        return parse_operation(response)
    conflict = api_error_from_response(response)
    name = tuned_model_name(tuned_model_id)
    found = yield from with_retry(policy, build_get_tuned_model(endpoint, name))
    if not found.is_success:
        raise conflict
    existing = parse_tuned_model(found)
    listed = yield from with_retry(policy, _list_operations(endpoint, name))
    operation = _latest_operation(listed)
    if operation is not None:
        return operation
    resolved = _operation_of(existing, name)
    if resolved is None:  # still tuning, and this server does not list its operations
        raise conflict
    return resolved


def _list_operations(endpoint: Endpoint, name: str) -> HttpRequest:
    url = require_gemini_api(endpoint, "tunedModels").url(f"{name}/operations")
    return json_request(endpoint, "GET", url)


def _latest_operation(response: HttpResponse) -> Operation | None:
    """The last operation a ``tunedModels.operations.list`` answer names, if any."""
    if not response.is_success:
        return None  # not listed by this server: the model itself tells its state
    try:
        payload = response.json(what="an operations list")
    except ProtocolError:
        return None
    operations = payload.get("operations") if isinstance(payload, dict) else None
    if not isinstance(operations, list) or not operations:
        return None
    return Operation.from_json(operations[-1], f"operations[{len(operations) - 1}]")


def _operation_of(model: TunedModel, name: str) -> Operation | None:
    """A done ``Operation`` that says what a finished model's state says (None: not finished)."""
    state = str(getattr(model.state, "value", model.state) or "")
    if state == "ACTIVE":
        return Operation(name=f"{name}/operations/unlisted", done=True, response=model)
    if state == "FAILED":
        error = Status(code=13, message=f"{name} is FAILED")
        return Operation(name=f"{name}/operations/unlisted", done=True, error=error)
    return None
