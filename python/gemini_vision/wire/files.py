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
from dataclasses import dataclass, field
from typing import Any

from gemini_vision.errors import LocalError, ProtocolError
from gemini_vision.wire.content import Part, register_part_converter
from gemini_vision.wire.fields import (
    compact,
    expect_object,
    extra_fields,
    read_int,
    read_object,
    read_str,
    read_timestamp,
)
from gemini_vision.wire.status import Status
from gemini_vision.wire.timestamp import Timestamp

__all__ = ["File", "FileState"]


class FileState(str, enum.Enum):
    """Processing state of a file; unknown names read as ``STATE_UNSPECIFIED``."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    PROCESSING = "PROCESSING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"

    @classmethod
    def parse(cls, value: str | None) -> FileState:
        """Map a wire name to a state.

        >>> FileState.parse("FAILED"), FileState.parse(None)
        (<FileState.FAILED: 'FAILED'>, <FileState.STATE_UNSPECIFIED: 'STATE_UNSPECIFIED'>)
        """
        try:
            return cls(value)
        except ValueError:
            return cls.STATE_UNSPECIFIED


_FILE_KEYS = frozenset(
    {
        "name",
        "displayName",
        "mimeType",
        "sizeBytes",
        "createTime",
        "updateTime",
        "expirationTime",
        "sha256Hash",
        "uri",
        "state",
        "error",
    }
)


def _ts(value: Timestamp | None) -> str | None:
    return None if value is None else value.to_json()


@dataclass(frozen=True, slots=True)
class File:
    """A file stored by the Files API (every field is set by the server)."""

    name: str
    display_name: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    expiration_time: Timestamp | None = None
    sha256_hash: str | None = None
    uri: str | None = None
    state: FileState = FileState.STATE_UNSPECIFIED
    error: Status | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_active(self) -> bool:
        """Whether the file can be used in a request."""
        return self.state is FileState.ACTIVE

    @classmethod
    def from_json(cls, data: Any, path: str = "file") -> File:
        """Parse a ``File`` object; ``ProtocolError`` names a bad field.

        >>> File.from_json({"name": "files/x", "sizeBytes": 3}).size_bytes
        3
        """
        data = expect_object(data, path)
        name = read_str(data, "name", path)
        if not name:
            raise ProtocolError("a File must have a name", path=f"{path}.name")
        error = read_object(data, "error", path)
        return cls(
            name=name,
            display_name=read_str(data, "displayName", path),
            mime_type=read_str(data, "mimeType", path),
            size_bytes=read_int(data, "sizeBytes", path),
            create_time=read_timestamp(data, "createTime", path),
            update_time=read_timestamp(data, "updateTime", path),
            expiration_time=read_timestamp(data, "expirationTime", path),
            sha256_hash=read_str(data, "sha256Hash", path),
            uri=read_str(data, "uri", path),
            state=FileState.parse(read_str(data, "state", path)),
            error=None if error is None else Status.from_json(error, f"{path}.error"),
            extra=extra_fields(data, _FILE_KEYS),
        )

    def to_json(self) -> dict[str, Any]:
        """The wire form (for recordings and the emulator)."""
        fields = {
            "name": self.name,
            "displayName": self.display_name,
            "mimeType": self.mime_type,
            "sizeBytes": None if self.size_bytes is None else str(self.size_bytes),
            "createTime": _ts(self.create_time),
            "updateTime": _ts(self.update_time),
            "expirationTime": _ts(self.expiration_time),
            "sha256Hash": self.sha256_hash,
            "uri": self.uri,
            "state": None if self.state is FileState.STATE_UNSPECIFIED else self.state.value,
            "error": None if self.error is None else self.error.to_json(),
        }
        return {**compact(fields), **self.extra}

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
