"""The Files API ``File`` resource (F2), and the ``fileData`` part made from one.

A file uploaded with ``gemini_vision.api.upload`` comes back as a ``File``;
images and videos are ``PROCESSING`` for a while, then ``ACTIVE`` (usable in a
request) or ``FAILED`` (with an ``error`` status). ``sizeBytes`` is an int64
string on the wire and an int here; the timestamps are exact ``Timestamp``
values; ``sha256Hash`` is the base64 text the server sends.

>>> f = File.from_json({"name": "files/abc", "mimeType": "image/png", "sizeBytes": "1024",
...                     "uri": "https://h/v1beta/files/abc", "state": "ACTIVE"})
>>> f.size_bytes, f.state, f.is_active
(1024, <FileState.ACTIVE: 'ACTIVE'>, True)
>>> f.part().to_json()
{'fileData': {'mimeType': 'image/png', 'fileUri': 'https://h/v1beta/files/abc'}}

A ``File`` is accepted wherever a ``Part`` is (``to_part(file)`` is ``file.part()``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from gemini_vision.errors import LocalError
from gemini_vision.wire.content import Part, register_part_converter
from gemini_vision.wire.model import (
    STR,
    Field,
    Invalid,
    WireObject,
    int_field,
    object_field,
    str_field,
    text_field,
    timestamp_field,
)
from gemini_vision.wire.status import Status
from gemini_vision.wire.timestamp import Timestamp

__all__ = ["File", "FileState"]


class FileState(str, enum.Enum):
    """Processing state of a file (a name the library does not know reads as that string)."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    PROCESSING = "PROCESSING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"


def _state(obj: WireObject, value: Any) -> FileState | str:
    # Absent reads as STATE_UNSPECIFIED (proto3 omits the zero value); an unknown
    # name is kept as given, never rewritten.
    if value is None:
        return FileState.STATE_UNSPECIFIED
    try:
        return FileState(value)
    except ValueError:
        return str(value)


def _put_state(value: Any) -> Any:
    if value is FileState.STATE_UNSPECIFIED:
        return None  # the zero value is not written
    if isinstance(value, FileState):
        return value.value
    if not isinstance(value, str):
        raise Invalid(f"expected a FileState or its name, got {value!r}")
    return value


class File(WireObject):
    """A file stored by the Files API (every field is set by the server)."""

    __slots__ = ()
    _PATH = "file"

    #: ``files/{id}`` (always set: a File without a name is refused).
    name = text_field()
    display_name = str_field()
    mime_type = str_field()
    #: int64: an int here, a decimal string on the wire.
    size_bytes = int_field(int64=True)
    create_time = timestamp_field()
    update_time = timestamp_field()
    expiration_time = timestamp_field()
    #: The SHA-256 of the content, as the base64 text the server sends.
    sha256_hash = str_field()
    uri = str_field()
    #: ``STATE_UNSPECIFIED`` when absent; an unknown name as given.
    state: Field[FileState | str] = Field(STR, _state, _put_state)
    #: Why processing failed (with ``state`` FAILED).
    error = object_field(Status)

    def __init__(
        self,
        name: str,
        *,
        display_name: str | None = None,
        mime_type: str | None = None,
        size_bytes: int | None = None,
        create_time: Timestamp | str | None = None,
        update_time: Timestamp | str | None = None,
        expiration_time: Timestamp | str | None = None,
        sha256_hash: str | None = None,
        uri: str | None = None,
        state: FileState | str = FileState.STATE_UNSPECIFIED,
        error: Status | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._build(locals())
        if not name:
            raise LocalError("File.name (name): a File must have a name")

    @classmethod
    def _check(cls, value: Any) -> Any:
        value = super()._check(value)
        if not value.get("name"):
            error = Invalid("a File must have a name")
            error.path.append(".name")
            raise error
        return value

    @property
    def is_active(self) -> bool:
        """Whether the file can be used in a request."""
        return self.state is FileState.ACTIVE

    def part(self) -> Part:
        """The ``fileData`` part (``fileUri`` and ``mimeType``) that refers to this file.

        Raises:
            LocalError: the file has no URI or MIME type, or it failed processing.
        """
        if self.state is FileState.FAILED:
            raise LocalError(f"{self.name}: the file failed processing and cannot be used")
        if not self.uri or not self.mime_type:
            raise LocalError(f"{self.name}: a fileData part needs the file's uri and mimeType")
        return Part.from_uri(self.uri, self.mime_type)


register_part_converter(File, File.part)
