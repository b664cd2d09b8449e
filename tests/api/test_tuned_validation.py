"""Every T3 rule refuses a bad tuned-model request before it is built, naming field and rule."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.api.endpoints import GeminiApi
from gemini_vision.api.tuned_models import build_create_tuned_model, build_patch_tuned_model
from gemini_vision.api.tuned_validation import validate_for_create, validate_tuned_model_id
from gemini_vision.errors import LocalError
from gemini_vision.wire.tuned import (
    Dataset,
    Hyperparameters,
    TunedModel,
    TunedModelSource,
    TuningExample,
    TuningExamples,
    TuningTask,
)

API = GeminiApi("test-key")
GOOD = TunedModel(
    base_model="models/gemini-1.5-flash-001",
    display_name="Sentence Translator",
    tuning_task=TuningTask(training_data=Dataset.of([("1", "2"), ("3", "4")])),
)


def _with_examples(*examples: TuningExample) -> TunedModel:
    task = TuningTask(training_data=Dataset(TuningExamples(tuple(examples))))
    return GOOD.replace(tuning_task=task)


def _refused(model: TunedModel, message: str, tuned_model_id: str | None = None) -> None:
    with pytest.raises(LocalError) as info:
        build_create_tuned_model(API, model, tuned_model_id=tuned_model_id)
    assert str(info.value) == message


def test_a_good_model_passes() -> None:
    """The reference's example shape builds without complaint."""
    request = build_create_tuned_model(API, GOOD, tuned_model_id="sentence-translator-1")
    assert request.json()["displayName"] == "Sentence Translator"


ID_PATTERN = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")


@given(st.text(alphabet="abcz09-_A.", max_size=42))
def test_tuned_model_id_rule_matches_the_reference_regex(candidate: str) -> None:
    """An id is accepted exactly when the reference's regular expression matches it."""
    if ID_PATTERN.fullmatch(candidate):
        validate_tuned_model_id(candidate)
    else:
        with pytest.raises(LocalError, match=r"^tunedModelId: must match"):
            validate_tuned_model_id(candidate)


def test_tuned_model_id_message() -> None:
    """The id rule's message names the field, the pattern and the value."""
    _refused(
        GOOD,
        "tunedModelId: must match [a-z]([a-z0-9-]{0,38}[a-z0-9])? (lower-case letter first, "
        "then up to 39 lower-case letters, digits or '-', not ending in '-'), got 'ends-with-'",
        tuned_model_id="ends-with-",
    )
    validate_tuned_model_id("a" * 40)
    with pytest.raises(LocalError, match="got 'aaaaa"):
        validate_tuned_model_id("a" * 41)


def test_display_name_at_most_40_characters() -> None:
    """41 characters (spaces count) are refused; 40 are fine."""
    validate_for_create(GOOD.replace(display_name="x" * 40))
    _refused(
        GOOD.replace(display_name="a b " * 10 + "c"),
        "displayName: at most 40 characters, got 41",
    )


@pytest.mark.parametrize(("field", "wire"), [("temperature", "temperature"), ("top_p", "topP")])
@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan")])
def test_temperature_and_top_p_in_unit_interval(field: str, wire: str, value: float) -> None:
    """temperature and topP outside [0, 1] (or NaN) are refused."""
    _refused(GOOD.replace(**{field: value}), f"{wire}: must be in [0, 1], got {value!r}")


@pytest.mark.parametrize(("field", "value"), [("temperature", 0.0), ("top_p", 1.0)])
def test_unit_interval_bounds_are_inclusive(field: str, value: float) -> None:
    """0 and 1 themselves are allowed."""
    validate_for_create(GOOD.replace(**{field: value}))


def test_top_k_non_negative_integer() -> None:
    """topK must be an int >= 0: a negative one fails the rule."""
    _refused(GOOD.replace(top_k=-1), "topK: must be a non-negative integer, got -1")


@pytest.mark.parametrize("value", [2.5, True, "3"])
def test_top_k_of_another_type_is_refused_when_built(value: object) -> None:
    """Bools, floats and strings are not ints here: refused at construction, naming the field."""
    message = f"TunedModel.top_k (topK): expected an integer, got {value!r}"
    with pytest.raises(LocalError) as info:
        GOOD.replace(top_k=value)
    assert str(info.value) == message
    with pytest.raises(LocalError) as info:
        TunedModel(base_model="models/m", top_k=value)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_source_model_union_at_most_one() -> None:
    """baseModel and tunedModelSource together are refused."""
    both = GOOD.replace(tuned_model_source=TunedModelSource("tunedModels/old"))
    _refused(both, "source_model: set at most one of tunedModelSource and baseModel, got both")


def test_source_model_required_on_create() -> None:
    """A create names what to tune from."""
    _refused(
        GOOD.replace(base_model=None),
        "source_model: set one of baseModel or tunedModelSource to tune from",
    )


def test_learning_rate_union_at_most_one() -> None:
    """learningRate and learningRateMultiplier together are refused."""
    assert GOOD.tuning_task is not None
    task = GOOD.tuning_task.replace(
        hyperparameters=Hyperparameters(learning_rate=0.001, learning_rate_multiplier=1.0),
    )
    _refused(
        GOOD.replace(tuning_task=task),
        "tuningTask.hyperparameters.learning_rate_option: set at most one of learningRate and "
        "learningRateMultiplier, got both",
    )


def test_model_input_union_at_most_one() -> None:
    """An example with two kinds of input is refused."""
    two = TuningExample(output="o", text_input="t", extra={"multiturnInput": {"turns": []}})
    _refused(
        _with_examples(two),
        "tuningTask.trainingData.examples.examples[0].model_input: set at most one input, "
        "got textInput and multiturnInput",
    )


def test_training_data_required_on_create() -> None:
    """No tuning task, or no training data, is refused."""
    message = "tuningTask.trainingData: training data is required to create a model"
    _refused(GOOD.replace(tuning_task=None), message)
    _refused(GOOD.replace(tuning_task=TuningTask()), message)


def test_training_data_non_empty() -> None:
    """An empty example list is refused."""
    _refused(
        _with_examples(),
        "tuningTask.trainingData.examples.examples: training data must have at least one "
        "example, got none",
    )


def test_every_example_has_an_output() -> None:
    """An example without an output is refused, and its index named."""
    _refused(
        _with_examples(TuningExample("a", "b"), TuningExample(None, "c")),
        "tuningTask.trainingData.examples.examples[1].output: every example needs an output, "
        "this one has none",
    )


def test_every_example_has_an_input() -> None:
    """An example without an input is refused."""
    _refused(
        _with_examples(TuningExample(output="o")),
        "tuningTask.trainingData.examples.examples[0].model_input: every example needs an "
        "input (textInput)",
    )


def test_all_examples_of_one_input_kind() -> None:
    """Mixing text and another input kind is refused."""
    other = TuningExample(output="o", extra={"multiturnInput": {"turns": []}})
    _refused(
        _with_examples(TuningExample("a", "b"), other),
        "tuningTask.trainingData.examples.examples[1].model_input: all examples must have one "
        "input kind; examples[0] has textInput, this one has multiturnInput",
    )


def test_patch_applies_the_common_rules_and_needs_a_mask() -> None:
    """A patch body is checked like a create, and an empty mask is refused."""
    with pytest.raises(LocalError, match=r"^topP: must be in \[0, 1\], got 2.0$"):
        build_patch_tuned_model(API, TunedModel(name="tunedModels/m", top_p=2.0))
    with pytest.raises(LocalError, match=r"^updateMask: nothing to update"):
        build_patch_tuned_model(API, TunedModel(name="tunedModels/m"))


def test_reader_project_numbers_fit_int64() -> None:
    """Project numbers are positive int64 values."""
    _refused(
        GOOD.replace(reader_project_numbers=(2**63,)),
        f"readerProjectNumbers[0]: must be a positive int64 project number, got {2**63}",
    )
