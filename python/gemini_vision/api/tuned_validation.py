"""The tuned-model rules of the reference (T3), checked before a request is built.

Each rule raises ``LocalError`` whose message starts with the wire path of the
field and then states the rule, so a caller sees what to change without a
round trip to the server:

- ``tunedModelId`` matches ``[a-z]([a-z0-9-]{0,38}[a-z0-9])?``;
- ``displayName`` has at most 40 characters;
- ``temperature`` and ``topP`` are in [0, 1]; ``topK`` is a non-negative integer;
- at most one member of each union (``source_model``, ``model_input``,
  ``learning_rate_option``);
- on create: a source model, and training data that is non-empty, where every
  example has an output and an input, and all inputs are of one kind.

The library adds the checks the server would make anyway and that cost nothing
here: hyperparameter counts are positive, ``readerProjectNumbers`` fit int64.

>>> validate_tuned_model_id("Sentence_Translator")
Traceback (most recent call last):
...
gemini_vision.errors.LocalError: tunedModelId: must match [a-z]([a-z0-9-]{0,38}[a-z0-9])? (lower-case letter first, then up to 39 lower-case letters, digits or '-', not ending in '-'), got 'Sentence_Translator'
"""  # noqa: E501

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from gemini_vision.errors import LocalError
from gemini_vision.wire.tuned import Hyperparameters, TunedModel, TuningExample

__all__ = [
    "MAX_DISPLAY_NAME",
    "TUNED_MODEL_ID_PATTERN",
    "validate_for_create",
    "validate_for_patch",
    "validate_tuned_model_id",
]

TUNED_MODEL_ID_PATTERN = "[a-z]([a-z0-9-]{0,38}[a-z0-9])?"
MAX_DISPLAY_NAME = 40
_ID_RE = re.compile(TUNED_MODEL_ID_PATTERN, re.ASCII)
_INT64_MAX = 2**63 - 1


def validate_tuned_model_id(tuned_model_id: str) -> None:
    """Refuse an id the server would refuse.

    >>> validate_tuned_model_id("sentence-translator-1")
    """
    if not isinstance(tuned_model_id, str) or _ID_RE.fullmatch(tuned_model_id) is None:
        raise LocalError(
            f"tunedModelId: must match {TUNED_MODEL_ID_PATTERN} (lower-case letter first, "
            "then up to 39 lower-case letters, digits or '-', not ending in '-'), "
            f"got {tuned_model_id!r}"
        )


def _check_unit_interval(name: str, value: float | None) -> None:
    # The model's constructor and parser already refused what is not a number.
    if value is None:
        return
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise LocalError(f"{name}: must be in [0, 1], got {value!r}")


def _check_common(model: TunedModel) -> None:
    """The rules that apply to any body we send (create or patch)."""
    if model.display_name is not None and len(model.display_name) > MAX_DISPLAY_NAME:
        raise LocalError(
            f"displayName: at most {MAX_DISPLAY_NAME} characters, got {len(model.display_name)}"
        )
    _check_unit_interval("temperature", model.temperature)
    _check_unit_interval("topP", model.top_p)
    top_k = model.top_k
    if top_k is not None and top_k < 0:
        raise LocalError(f"topK: must be a non-negative integer, got {top_k!r}")
    if model.tuned_model_source is not None and model.base_model is not None:
        raise LocalError(
            "source_model: set at most one of tunedModelSource and baseModel, got both"
        )
    for i, number in enumerate(model.reader_project_numbers):
        if not 0 < number <= _INT64_MAX:
            raise LocalError(
                f"readerProjectNumbers[{i}]: must be a positive int64 project number, "
                f"got {number!r}"
            )


def _check_hyperparameters(hyper: Hyperparameters, path: str) -> None:
    if hyper.learning_rate is not None and hyper.learning_rate_multiplier is not None:
        raise LocalError(
            f"{path}.learning_rate_option: set at most one of learningRate and "
            "learningRateMultiplier, got both"
        )
    for name, rate in (
        ("learningRate", hyper.learning_rate),
        ("learningRateMultiplier", hyper.learning_rate_multiplier),
    ):
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            raise LocalError(f"{path}.{name}: must be a positive number, got {rate!r}")
    for name, count in (("epochCount", hyper.epoch_count), ("batchSize", hyper.batch_size)):
        if count is not None and count < 1:
            raise LocalError(f"{path}.{name}: must be a positive integer, got {count!r}")


def _check_examples(examples: Sequence[TuningExample], path: str) -> None:
    if not examples:
        raise LocalError(f"{path}: training data must have at least one example, got none")
    first_kind: str | None = None
    for i, example in enumerate(examples):
        where = f"{path}[{i}]"
        if not example.output:
            raise LocalError(f"{where}.output: every example needs an output, this one has none")
        kinds = example.input_kinds
        if len(kinds) > 1:
            raise LocalError(
                f"{where}.model_input: set at most one input, got {' and '.join(kinds)}"
            )
        if not kinds:
            raise LocalError(f"{where}.model_input: every example needs an input (textInput)")
        if first_kind is None:
            first_kind = kinds[0]
        elif kinds[0] != first_kind:
            raise LocalError(
                f"{where}.model_input: all examples must have one input kind; "
                f"examples[0] has {first_kind}, this one has {kinds[0]}"
            )


def validate_for_create(model: TunedModel, tuned_model_id: str | None = None) -> None:
    """Every T3 rule for ``tunedModels.create``; ``LocalError`` names the field and the rule.

    >>> from gemini_vision.wire.tuned import Dataset, TuningTask
    >>> ok = TunedModel(base_model="models/m",
    ...                 tuning_task=TuningTask(training_data=Dataset.of([("a", "b")])))
    >>> validate_for_create(ok, "my-model")
    >>> validate_for_create(TunedModel(base_model="models/m", temperature=1.5))
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: temperature: must be in [0, 1], got 1.5
    """
    if tuned_model_id is not None:
        validate_tuned_model_id(tuned_model_id)
    _check_common(model)
    if model.tuned_model_source is None and model.base_model is None:
        raise LocalError("source_model: set one of baseModel or tunedModelSource to tune from")
    if model.tuned_model_source is not None and not model.tuned_model_source.tuned_model:
        raise LocalError("tunedModelSource.tunedModel: name the tuned model to start from")
    task = model.tuning_task
    if task is None or task.training_data is None:
        raise LocalError("tuningTask.trainingData: training data is required to create a model")
    if task.hyperparameters is not None:
        _check_hyperparameters(task.hyperparameters, "tuningTask.hyperparameters")
    dataset = task.training_data
    path = "tuningTask.trainingData.examples.examples"
    if dataset.examples is None:
        raise LocalError(f"{path}: training data must have at least one example, got none")
    _check_examples(dataset.examples.examples, path)


def validate_for_patch(model: TunedModel, update_mask: tuple[str, ...]) -> None:
    """The T3 rules that apply to a patch body, and a non-empty field mask.

    >>> validate_for_patch(TunedModel(display_name="x" * 41), ("displayName",))
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: displayName: at most 40 characters, got 41
    """
    _check_common(model)
    if not update_mask:
        raise LocalError("updateMask: nothing to update (no field changed and no mask given)")
    for path in update_mask:
        if not path or not all(part.isidentifier() for part in path.split(".")):
            raise LocalError(f"updateMask: {path!r} is not a field path")
