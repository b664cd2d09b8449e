"""The emulator's checks of request bodies: every malformed body is a 400 naming its field.

A real server never drops the connection over a body it cannot use; it answers
``400 INVALID_ARGUMENT`` with a ``google.rpc.BadRequest`` detail whose field
violation names the JSON path. The generation bodies are checked with the
library's own wire types (the same rules the client applies before sending);
the tuned-model body with the small schema below, which also bounds every
number that scales the emulator's work (epochs, batch size, examples).

>>> check_tuned_model({"displayName": 5}, creating=False)
Traceback (most recent call last):
...
gemini_vision.testing._protocol.ApiFailure: Invalid value at 'displayName': expected a string, got a number
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gemini_vision.errors import ProtocolError
from gemini_vision.testing._protocol import ApiFailure
from gemini_vision.wire.model import json_type

__all__ = [
    "MAX_EPOCHS",
    "MAX_EXAMPLES",
    "MAX_TUNING_STEPS",
    "bad_request",
    "check_count_tokens",
    "check_generate",
    "check_tuned_model",
]

#: The emulator's bounds on the work a tuning job asks for (each poll does a
#: slice of the job and keeps one snapshot per step, so these bound time and memory).
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 1024
MAX_EXAMPLES = 100_000
MAX_TUNING_STEPS = 20_000


def bad_request(field: str, description: str) -> ApiFailure:
    """A 400 with a ``google.rpc.BadRequest`` field violation.

    >>> bad_request("contents", "must not be empty").details[0]["fieldViolations"]
    [{'field': 'contents', 'description': 'must not be empty'}]
    """
    return ApiFailure(
        400,
        f"Invalid value at '{field}': {description}" if field else description,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": description}],
            }
        ],
    )


def _wire_check(parse: Callable[[Any], Any], body: Any) -> None:
    try:
        parse(body)
    except ProtocolError as error:
        raise bad_request(error.path or "", error.reason) from None
    except RecursionError:
        raise bad_request("", "the JSON is nested too deeply") from None


def check_generate(body: Any) -> None:
    """A ``GenerateContentRequest`` body: the wire types' rules, with the failing path."""
    from gemini_vision.wire.request import GenerateContentRequest

    if not isinstance(body, dict):
        raise bad_request("", "the request body must be a JSON object")
    _wire_check(GenerateContentRequest.from_json, body)
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise bad_request("contents", "contents is not specified")


def check_count_tokens(body: Any) -> None:
    """A ``CountTokensRequest`` body (``contents`` or ``generateContentRequest``)."""
    from gemini_vision.wire.request import CountTokensRequest

    if not isinstance(body, dict):
        raise bad_request("", "the request body must be a JSON object")
    _wire_check(CountTokensRequest.from_json, body)
    inner = body.get("generateContentRequest")
    if inner is not None:
        check_generate(inner)


# --- the tuned model -------------------------------------------------------------


def _string(path: str, value: Any, max_length: int | None = None) -> None:
    if not isinstance(value, str):
        raise bad_request(path, f"expected a string, got {json_type(value)}")
    if max_length is not None and len(value) > max_length:
        raise bad_request(path, f"must be at most {max_length} characters")


def _number(path: str, value: Any, low: float, high: float, *, integer: bool = False) -> float:
    # proto3 JSON: int32 fields take numbers or decimal strings.
    if isinstance(value, str) and integer:
        try:
            value = int(value.strip())
        except ValueError:
            raise bad_request(path, f"expected an integer, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(path, f"expected a number, got {json_type(value)}")
    if integer and value != int(value):
        raise bad_request(path, f"expected an integer, got {value!r}")
    if not low <= value <= high:
        raise bad_request(path, f"must be in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def _object(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(path, f"expected an object, got {json_type(value)}")
    return value


def check_tuned_model(body: Any, *, creating: bool) -> None:
    """A ``TunedModel`` body: field types, ranges, and the emulator's work bounds.

    >>> check_tuned_model({"tuningTask": {"hyperparameters": {"epochCount": 150000}}},
    ...                   creating=False)
    Traceback (most recent call last):
    ...
    gemini_vision.testing._protocol.ApiFailure: Invalid value at 'tuningTask.hyperparameters.epochCount': must be in [1, 1000], got 150000
    """  # noqa: E501
    model = _object("", body)
    for key in ("displayName",):
        if key in model:
            _string(key, model[key], 40)
    for key in ("description", "baseModel", "name"):
        if key in model:
            _string(key, model[key])
    for key in ("temperature", "topP"):
        if key in model:
            _number(key, model[key], 0.0, 2.0 if key == "temperature" else 1.0)
    if "topK" in model:
        _number("topK", model["topK"], 0, 1_000_000, integer=True)
    if "readerProjectNumbers" in model:
        numbers = model["readerProjectNumbers"]
        if not isinstance(numbers, list):
            raise bad_request("readerProjectNumbers", "expected an array")
    if "tunedModelSource" in model:
        source = _object("tunedModelSource", model["tunedModelSource"])
        if "tunedModel" in source:
            _string("tunedModelSource.tunedModel", source["tunedModel"])
    if "tuningTask" in model:
        _check_task(_object("tuningTask", model["tuningTask"]), creating=creating)


def _check_task(task: Mapping[str, Any], *, creating: bool) -> None:
    examples_count = 0
    if "trainingData" in task:
        data = _object("tuningTask.trainingData", task["trainingData"])
        if "examples" in data:
            wrapper = _object("tuningTask.trainingData.examples", data["examples"])
            examples = wrapper.get("examples", [])
            path = "tuningTask.trainingData.examples.examples"
            if not isinstance(examples, list):
                raise bad_request(path, f"expected an array, got {json_type(examples)}")
            if len(examples) > MAX_EXAMPLES:
                raise bad_request(path, f"at most {MAX_EXAMPLES} examples, got {len(examples)}")
            for i, example in enumerate(examples):
                item = _object(f"{path}[{i}]", example)
                for key in ("textInput", "output"):
                    if key in item:
                        _string(f"{path}[{i}].{key}", item[key])
            examples_count = len(examples)
    if "hyperparameters" not in task:
        return
    hyper = _object("tuningTask.hyperparameters", task["hyperparameters"])
    where = "tuningTask.hyperparameters"
    epochs = batch = 1.0
    if "epochCount" in hyper:
        epochs = _number(f"{where}.epochCount", hyper["epochCount"], 1, MAX_EPOCHS, integer=True)
    if "batchSize" in hyper:
        batch = _number(f"{where}.batchSize", hyper["batchSize"], 1, MAX_BATCH_SIZE, integer=True)
    for key in ("learningRate", "learningRateMultiplier"):
        if key in hyper:
            _number(f"{where}.{key}", hyper[key], 1e-12, 1e6)
    if creating and examples_count:
        steps = epochs * -(-examples_count // int(batch))
        if steps > MAX_TUNING_STEPS:
            raise bad_request(
                f"{where}.epochCount",
                f"the job would take {int(steps)} steps; this emulator runs at most "
                f"{MAX_TUNING_STEPS}",
            )
