"""``google.rpc.Status`` as a value: what a failed file or operation carries.

A ``Status`` inside a resource (``File.error``, ``Operation.error``) uses the
numeric gRPC code (13 is INTERNAL), unlike the HTTP error envelope, whose
``code`` is the HTTP status. ``Status.to_error()`` turns it into the matching
``ApiError`` subclass so a failed tuning job raises the same classes as a
failed request.

>>> s = Status.from_json({"code": 3, "message": "bad example"})
>>> s.status_name, type(s.to_error()).__name__
('INVALID_ARGUMENT', 'InvalidArgumentError')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gemini_vision.errors import ApiError, api_error_class
from gemini_vision.wire.model import WireObject, count_field, objects_field, text_field

__all__ = ["GRPC_CODE_NAMES", "GRPC_CODE_TO_HTTP", "Status"]

#: google.rpc.Code numbers and their names.
GRPC_CODE_NAMES: dict[int, str] = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}

#: The HTTP status google.rpc's code.proto gives each code (used by the emulator too).
GRPC_CODE_TO_HTTP: dict[int, int] = {
    0: 200,
    1: 499,
    2: 500,
    3: 400,
    4: 504,
    5: 404,
    6: 409,
    7: 403,
    8: 429,
    9: 400,
    10: 409,
    11: 400,
    12: 501,
    13: 500,
    14: 503,
    15: 500,
    16: 401,
}


class Status(WireObject):
    """A ``google.rpc.Status``: numeric code, message and the raw ``details``.

    >>> Status(5, "gone").to_json()
    {'code': 5, 'message': 'gone'}
    """

    __slots__ = ()
    _PATH = "error"

    #: The google.rpc.Code number (0 when absent).
    code = count_field()
    #: The developer-facing message ("" when absent).
    message = text_field()
    #: The ``google.protobuf.Any`` details, as received.
    details = objects_field()

    def __init__(
        self, code: int = 0, message: str = "", details: Iterable[Mapping[str, Any]] = ()
    ) -> None:
        self._build(locals())

    @property
    def status_name(self) -> str:
        """The code's name (``"UNKNOWN"`` for a code outside google.rpc.Code)."""
        return GRPC_CODE_NAMES.get(self.code, "UNKNOWN")

    def to_error(self, context: str = "") -> ApiError:
        """The ``ApiError`` subclass for this code, message prefixed by ``context``.

        >>> str(Status(9, "not ready").to_error("files/abc"))
        'API error FAILED_PRECONDITION: files/abc: not ready'
        """
        cls = api_error_class(self.status_name, None)
        message = f"{context}: {self.message}" if context else self.message
        return cls(message, code=self.code, status=self.status_name, details=self.details)
