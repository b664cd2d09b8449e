"""The wire-object model: one declaration per field serves parsing, access, building and checks."""

from __future__ import annotations

import enum
from typing import Any

import pytest

from gemini_vision.errors import LocalError, ProtocolError
from gemini_vision.wire.content import Blob, Part
from gemini_vision.wire.files import File, FileState
from gemini_vision.wire.model import (
    WireObject,
    any_field,
    bool_field,
    bytes_field,
    count_field,
    data_field,
    dict_field,
    enum_field,
    flag_field,
    float_field,
    int64_list_field,
    int_field,
    json_field,
    list_field,
    message_field,
    object_field,
    objects_field,
    str_field,
    str_list_field,
    text_field,
    timestamp_field,
)
from gemini_vision.wire.timestamp import Timestamp
from gemini_vision.wire.tuned import Hyperparameters, TunedModel, TuningTask


class Color(str, enum.Enum):
    RED = "RED"


class Leaf(WireObject):
    __slots__ = ()
    label = str_field()

    def __init__(self, label: str | None = None) -> None:
        self._build(locals())


class Every(WireObject):
    """One field of every kind the model offers."""

    __slots__ = ()
    a_str = str_field()
    a_text = text_field()
    a_bool = bool_field()
    a_flag = flag_field()
    an_int = int_field()
    an_int64 = int_field(int64=True)
    a_count = count_field()
    a_float = float_field()
    some_bytes = bytes_field()
    some_data = data_field()
    a_json = json_field()
    a_dict = dict_field()
    str_list = str_list_field()
    int64_list = int64_list_field()
    a_time = timestamp_field()
    a_color = enum_field(Color)
    a_leaf = object_field(Leaf)
    a_message = message_field(Leaf)
    an_any = any_field(Leaf)
    leaves = list_field(Leaf)
    details = objects_field()

    def __init__(self, **values: Any) -> None:
        self._build(values)


GOOD: dict[str, tuple[Any, Any]] = {
    # attribute: (value given to the constructor, wire value)
    "a_str": ("x", "x"),
    "a_text": ("x", "x"),
    "a_bool": (False, False),
    "a_flag": (True, True),
    "an_int": (7, 7),
    "an_int64": (2**62, str(2**62)),
    "a_count": (3, 3),
    "a_float": (0.5, 0.5),
    "some_bytes": (b"hi", "aGk="),
    "some_data": (b"hi", "aGk="),
    "a_json": ({"k": [1]}, {"k": [1]}),
    "a_dict": ({"k": 1}, {"k": 1}),
    "str_list": (("a", "b"), ["a", "b"]),
    "int64_list": ((1, 2), ["1", "2"]),
    "a_time": (Timestamp(0, 5), "1970-01-01T00:00:00.000000005Z"),
    "a_color": (Color.RED, "RED"),
    "a_leaf": (Leaf("l"), {"label": "l"}),
    "a_message": (Leaf("l"), {"label": "l"}),
    "an_any": (Leaf("l"), {"label": "l"}),
    "leaves": ([Leaf("l")], [{"label": "l"}]),
    "details": ([{"@type": "t"}], [{"@type": "t"}]),
}

BAD: list[tuple[str, Any, str]] = [
    # attribute, wrong value, what the message says was expected
    ("a_str", 5, "expected a string, got 5"),
    ("a_text", b"x", "expected a string, got <1 bytes>"),
    ("a_bool", 1, "expected a boolean, got 1"),
    ("a_flag", "yes", "expected a boolean, got 'yes'"),
    ("an_int", True, "expected an integer, got True"),
    ("an_int", "3", "expected an integer, got '3'"),
    ("an_int", 2.0, "expected an integer, got 2.0"),
    ("an_int64", False, "expected an integer, got False"),
    ("a_count", 1.5, "expected an integer, got 1.5"),
    ("a_float", "x", "expected a number, got 'x'"),
    ("a_float", True, "expected a number, got True"),
    ("some_bytes", "aGk=", "expected bytes, got 'aGk='"),
    ("some_data", 3, "expected bytes, got 3"),
    ("str_list", "ab", "expected a list of strings, got 'ab'"),
    ("str_list", ["a", 1], "expected a list of strings, got an item 1"),
    ("int64_list", [1, True], "expected an integer, got True"),
    ("a_time", "yesterday", "'yesterday' is not an RFC 3339 date-time"),
    ("a_time", 0, "expected a Timestamp or RFC 3339 text, got 0"),
    ("a_color", 3, "expected a string, got 3"),
    ("a_leaf", {"label": "l"}, "expected a Leaf, got {'label': 'l'}"),
    ("a_message", "l", "expected a Leaf, got 'l'"),
    ("an_any", 1, "expected a Leaf, got 1"),
    ("leaves", Leaf("l"), "expected a list of Leaf"),
    ("leaves", ["l"], "expected a list of Leaf, got an item 'l'"),
    ("details", ["x"], "expected a list of objects, got an item 'x'"),
]


def _wire(name: str) -> str:
    return next(f.wire for f in Every.fields() if f.name == name)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_kind_builds_its_wire_form_and_reads_back(name: str) -> None:
    """A right value is encoded to the wire form, parses back equal, and reads as given."""
    given, wire = GOOD[name]
    built = Every(**{name: given})
    assert built.to_json() == {_wire(name): wire}
    parsed = Every.from_json({_wire(name): wire})
    assert parsed == built
    value = getattr(parsed, name)
    expected = list(given) if name in ("str_list",) else given
    if name == "int64_list":
        expected = tuple(given)
    if name == "details":
        expected = tuple(given)
    if name in ("a_leaf", "a_message", "an_any"):
        assert value == given
    elif name == "leaves":
        assert value == list(given)
    else:
        assert value == expected


@pytest.mark.parametrize(("name", "value", "message"), BAD)
def test_each_kind_refuses_a_wrong_type_naming_the_field(
    name: str, value: Any, message: str
) -> None:
    """A wrong type or value raises LocalError naming the attribute and the wire name."""
    with pytest.raises(LocalError) as info:
        Every(**{name: value})
    text = str(info.value)
    assert text.startswith(f"Every.{name} ({_wire(name)}): "), text
    assert message in text


def test_absent_fields_read_as_their_defaults() -> None:
    """Absent: None, except flags (False), counts (0), text (""), data (b""), lists and dicts."""
    empty = Every()
    assert empty.to_json() == {}
    assert (empty.a_str, empty.a_flag, empty.a_count, empty.a_text, empty.some_data) == (
        None, False, 0, "", b""
    )  # fmt: skip
    assert (empty.leaves, empty.a_dict, empty.int64_list, empty.details) == ([], {}, (), ())
    assert empty.a_message == Leaf() and empty.an_any is None


def test_an_any_keeps_its_type_on_the_wire_not_in_the_object() -> None:
    """google.protobuf.Any: "@type" round-trips but is not a field of the object inside."""
    payload = {"anAny": {"@type": "type.googleapis.com/Leaf", "label": "l"}}
    parsed = Every.from_json(payload)
    assert parsed.an_any == Leaf("l") and parsed.an_any is not None
    assert parsed.an_any.extra == {}
    assert parsed.to_json() == payload


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: TunedModel(display_name=5),
            "TunedModel.display_name (displayName): expected a string",
        ),
        (
            lambda: Hyperparameters(learning_rate="x"),
            "Hyperparameters.learning_rate (learningRate): expected a number, got 'x'",
        ),
        (
            lambda: Hyperparameters(epoch_count="3"),
            "Hyperparameters.epoch_count (epochCount): expected an integer, got '3'",
        ),
        (
            lambda: Hyperparameters(batch_size=True),
            "Hyperparameters.batch_size (batchSize): expected an integer, got True",
        ),
        (
            lambda: TunedModel(reader_project_numbers=["1"]),
            "TunedModel.reader_project_numbers (readerProjectNumbers): expected an integer",
        ),
        (
            lambda: TunedModel(tuning_task={"trainingData": {}}),
            "TunedModel.tuning_task (tuningTask): expected a TuningTask",
        ),
        (lambda: Blob("image/png", "not bytes"), "Blob.data (data): expected bytes"),
        (lambda: Part(thought="yes"), "Part.thought (thought): expected a boolean"),
        (
            lambda: File("files/a", size_bytes="9"),
            "File.size_bytes (sizeBytes): expected an integer",
        ),
    ],
)
def test_resource_constructors_check_types(build: Any, message: str) -> None:
    """The issue's examples: each wrong type is refused before anything is built."""
    with pytest.raises(LocalError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_unknown_enum_values_and_fields_are_kept() -> None:
    """A newer server's enum names and fields come back as given, and are written back."""
    payload = {"name": "files/a", "state": "ARCHIVED", "error": {"code": 3, "future": 1}, "x": 2}
    file = File.from_json(payload)
    assert file.state == "ARCHIVED" and not isinstance(file.state, FileState)
    assert file.error is not None and file.error.extra == {"future": 1}
    assert file.to_json() == payload
    assert File.from_json({"name": "files/a"}).state is FileState.STATE_UNSPECIFIED


def test_output_only_fields_never_reach_a_request_body() -> None:
    """T2: to_request_json drops output-only fields at every depth, keeps the rest."""
    model = TunedModel.from_json(
        {
            "name": "tunedModels/m",
            "state": "ACTIVE",
            "displayName": "d",
            "tuningTask": {"startTime": "2024-01-01T00:00:00Z", "snapshots": [{"step": 1}]},
        }
    )
    assert model.to_request_json() == {"displayName": "d", "tuningTask": {}}
    assert TuningTask(start_time=Timestamp(0)).to_request_json() == {}


def test_snake_case_input_is_renamed_and_both_spellings_are_refused() -> None:
    """The declared snake_case names are accepted on input; giving both is an error."""
    assert Every.from_json({"a_str": "x"}).to_json() == {"aStr": "x"}
    with pytest.raises(ProtocolError, match="both 'a_str' and 'aStr'"):
        Every.from_json({"a_str": "x", "aStr": "y"})


def test_public_json_access_needs_no_private_names() -> None:
    """as_json is the wire form without a copy; to_json a copy; from_owned_json adopts."""
    leaf = Leaf("l")
    assert leaf.as_json() == {"label": "l"} and leaf.as_json() is leaf.as_json()
    copy = leaf.to_json()
    copy["label"] = "changed"
    assert leaf.label == "l"
    data: dict[str, Any] = {"label": "m"}
    adopted = Leaf.from_owned_json(data)
    assert adopted.as_json() is data
