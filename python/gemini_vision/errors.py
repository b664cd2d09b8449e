"""The exception classes of gemini-vision.

Both backends raise these: the Rust extension looks them up here by name, so a
``MaskDecodeError`` from Rust and one from the NumPy fallback are the same class.

Three families, as in h11 plus the transport layer:

* *local* errors (``LocalError``): the library refused to build or send
  something it can tell is invalid (an argument out of range, bytes that do
  not decode);
* *remote* errors (``ApiError`` and its subclasses, one per ``google.rpc``
  status): the server said no; ``ProtocolError``: the server answered
  something we cannot parse;
* *transport* errors (``TransportError``): the bytes never made it there and
  back (raised by the transports, classified by the retry policy).

>>> from gemini_vision.errors import MaskDecodeError, api_error_class
>>> issubclass(MaskDecodeError, ValueError)
True
>>> api_error_class("RESOURCE_EXHAUSTED", 429).__name__
'ResourceExhaustedError'
>>> api_error_class(None, 503).__name__
'UnavailableError'
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AbortedError",
    "AllocationError",
    "AlreadyExistsError",
    "ApiError",
    "CancelledError",
    "ConnectError",
    "DataLossError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "FieldViolation",
    "GeminiVisionError",
    "InternalError",
    "InvalidArgumentError",
    "KernelInputError",
    "LocalError",
    "MaskDecodeError",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "PixelLimitError",
    "ProtocolError",
    "ReplayMissError",
    "RequestTimeoutError",
    "ResourceExhaustedError",
    "RleError",
    "StreamInterruptedError",
    "TransportError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
    "api_error_class",
    "as_int",
]


class GeminiVisionError(Exception):
    """Base class of every exception this library raises on purpose."""


class LocalError(GeminiVisionError, ValueError):
    """The library refused to build or send something it can tell is invalid.

    The message names the field and the rule it broke.
    """


class KernelInputError(LocalError):
    """A kernel argument is outside its domain (a zero size, a wrong shape or dtype)."""


class AllocationError(KernelInputError, MemoryError):
    """The input asks for a buffer larger than the allocation limit, or one the
    process cannot get (``MAX_ALLOC_BYTES``, 4 GiB per buffer, in both backends).

    It is both a ``LocalError`` (the input is at fault) and a ``MemoryError``
    (code that already catches that keeps working); nothing was allocated and
    the process goes on.
    """


def as_int(
    name: str,
    value: Any,
    *,
    lo: int | None = None,
    hi: int | None = None,
    what: str = "an integer",
    error: type[LocalError] = LocalError,
) -> int:
    """``value`` as a Python int, else ``error`` naming ``name``: the "an integer, not a bool" rule.

    ``True`` is an ``int`` to Python but never a count, a size or a threshold
    here; floats and numeric strings are refused too (``operator.index``
    semantics: NumPy integers pass). ``lo``/``hi`` bound the value when given.

    >>> as_int("threads", 4), as_int("n", 2**70)
    (4, 1180591620717411303424)
    >>> as_int("threads", True)
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: threads must be an integer, got a bool
    >>> as_int("pageSize", 0, lo=1, hi=100)
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: pageSize must be in 1..100, got 0
    """
    if isinstance(value, bool):
        raise error(f"{name} must be {what}, got a bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise error(f"{name} must be {what}, got {type(value).__name__} {value!r}") from None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise error(f"{name} must be in {lo}..{hi}, got {number}")
    return number


class MaskDecodeError(GeminiVisionError, ValueError):
    """PNG bytes are corrupt, truncated, or not a PNG; the message says which."""


class PixelLimitError(MaskDecodeError):
    """A PNG header declares more pixels than allowed; nothing was decoded."""


class RleError(GeminiVisionError, ValueError):
    """A COCO RLE is malformed: a bad compressed string, or counts that do not cover the frame."""


class ProtocolError(GeminiVisionError, ValueError):
    """The server answered something the library cannot parse.

    ``path`` names where in the JSON document the problem is (for example
    ``candidates[0].content.parts[3].inlineData.data``), or is ``""`` when the
    whole body is unusable.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.reason = message


# --- transport -----------------------------------------------------------------


class TransportError(GeminiVisionError):
    """The request did not complete at the transport level (raised by transports)."""


class ConnectError(TransportError):
    """No connection could be made (DNS, refused, TLS handshake); nothing was sent."""


class RequestTimeoutError(TransportError):
    """The request did not complete within its timeout."""


class StreamInterruptedError(TransportError):
    """The connection broke after the response started (mid-body or mid-stream)."""


class ReplayMissError(GeminiVisionError, LookupError):
    """A replay transport has no recorded exchange for this request; the message says why."""


# --- remote: google.rpc.Status --------------------------------------------------


class FieldViolation:
    """One ``google.rpc.BadRequest`` field violation: which field, and why.

    >>> FieldViolation("contents[0].parts", "must not be empty")
    FieldViolation(field='contents[0].parts', description='must not be empty')
    """

    __slots__ = ("description", "field")

    def __init__(self, field: str, description: str) -> None:
        self.field = field
        self.description = description

    def __repr__(self) -> str:
        return f"FieldViolation(field={self.field!r}, description={self.description!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldViolation):
            return NotImplemented
        return (self.field, self.description) == (other.field, other.description)

    def __hash__(self) -> int:
        return hash((self.field, self.description))


class ApiError(GeminiVisionError):
    """The server answered with an error (a ``google.rpc.Status`` body, or a bare HTTP error).

    Attributes:
        code: the numeric code from the body (usually the HTTP status), or the HTTP status.
        status: the ``google.rpc.Code`` name, e.g. ``"RESOURCE_EXHAUSTED"``; ``None`` when
            the body did not say.
        message: the server's message.
        details: the raw ``details`` list (dicts with ``@type``).
        retry_delay: seconds the server asked us to wait (RetryInfo, else Retry-After).
        http_status: the HTTP status code of the response.
        reason: ``ErrorInfo.reason`` when present (e.g. ``"API_KEY_INVALID"``).
        field_violations: ``BadRequest.fieldViolations``.

    >>> err = ResourceExhaustedError("quota", code=429, status="RESOURCE_EXHAUSTED",
    ...                              retry_delay=1.5, http_status=429)
    >>> str(err)
    'HTTP 429 RESOURCE_EXHAUSTED: quota (retry after 1.5 s)'
    """

    default_status: str | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: str | None = None,
        details: Sequence[Mapping[str, Any]] = (),
        retry_delay: float | None = None,
        http_status: int | None = None,
        reason: str | None = None,
        field_violations: Sequence[FieldViolation] = (),
    ) -> None:
        self.message = message
        self.http_status = http_status
        self.code = code if code is not None else http_status
        self.status = status
        self.details: list[dict[str, Any]] = [dict(d) for d in details]
        self.retry_delay = retry_delay
        self.reason = reason
        self.field_violations = tuple(field_violations)
        super().__init__(self._describe())

    def _describe(self) -> str:
        head = f"HTTP {self.http_status}" if self.http_status is not None else "API error"
        if self.status:
            head += f" {self.status}"
        text = f"{head}: {self.message}"
        if self.reason:
            text += f" [{self.reason}]"
        for violation in self.field_violations[:5]:
            text += f"; {violation.field}: {violation.description}"
        if self.retry_delay is not None:
            text += f" (retry after {self.retry_delay:g} s)"
        return text

    def __reduce__(self) -> Any:
        # Keyword-only constructor: pickle through a dict of attributes.
        return (_rebuild_api_error, (type(self), self.__dict__.copy()))


def _rebuild_api_error(cls: type[ApiError], state: dict[str, Any]) -> ApiError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error


class CancelledError(ApiError):
    """CANCELLED (HTTP 499): the operation was cancelled, typically by the caller."""

    default_status = "CANCELLED"


class UnknownError(ApiError):
    """UNKNOWN (HTTP 500), or an error the library cannot classify."""

    default_status = "UNKNOWN"


class InvalidArgumentError(ApiError):
    """INVALID_ARGUMENT (HTTP 400): the request is malformed or a value is invalid."""

    default_status = "INVALID_ARGUMENT"


class DeadlineExceededError(ApiError):
    """DEADLINE_EXCEEDED (HTTP 504): the server did not finish in time."""

    default_status = "DEADLINE_EXCEEDED"


class NotFoundError(ApiError):
    """NOT_FOUND (HTTP 404): the model, file or tuned model does not exist."""

    default_status = "NOT_FOUND"


class AlreadyExistsError(ApiError):
    """ALREADY_EXISTS (HTTP 409): e.g. a tuned model id that is taken."""

    default_status = "ALREADY_EXISTS"


class PermissionDeniedError(ApiError):
    """PERMISSION_DENIED (HTTP 403): the key or token may not do this."""

    default_status = "PERMISSION_DENIED"


class ResourceExhaustedError(ApiError):
    """RESOURCE_EXHAUSTED (HTTP 429): quota or rate limit; see ``retry_delay``."""

    default_status = "RESOURCE_EXHAUSTED"


class FailedPreconditionError(ApiError):
    """FAILED_PRECONDITION (HTTP 400): the system is not in a state for this request."""

    default_status = "FAILED_PRECONDITION"


class AbortedError(ApiError):
    """ABORTED (HTTP 409): a concurrency conflict; retrying the whole flow may help."""

    default_status = "ABORTED"


class OutOfRangeError(ApiError):
    """OUT_OF_RANGE (HTTP 400): a value is past the valid range (e.g. an offset)."""

    default_status = "OUT_OF_RANGE"


class UnimplementedError(ApiError):
    """UNIMPLEMENTED (HTTP 501): the method is not supported by this server."""

    default_status = "UNIMPLEMENTED"


class InternalError(ApiError):
    """INTERNAL (HTTP 500): the server failed."""

    default_status = "INTERNAL"


class UnavailableError(ApiError):
    """UNAVAILABLE (HTTP 503, and 502 from proxies): try again later."""

    default_status = "UNAVAILABLE"


class DataLossError(ApiError):
    """DATA_LOSS (HTTP 500): unrecoverable data loss or corruption."""

    default_status = "DATA_LOSS"


class UnauthenticatedError(ApiError):
    """UNAUTHENTICATED (HTTP 401): the key or token is missing or invalid."""

    default_status = "UNAUTHENTICATED"


_BY_STATUS: dict[str, type[ApiError]] = {
    cls.default_status: cls
    for cls in (
        CancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
        UnauthenticatedError,
    )
    if cls.default_status is not None
}

# The HTTP status -> class table used when the body names no (known) status,
# after google.rpc's code.proto mapping; 408 and 502 are what proxies send.
_BY_HTTP: dict[int, type[ApiError]] = {
    400: InvalidArgumentError,
    401: UnauthenticatedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: DeadlineExceededError,
    409: AbortedError,
    412: FailedPreconditionError,
    416: OutOfRangeError,
    429: ResourceExhaustedError,
    499: CancelledError,
    500: InternalError,
    501: UnimplementedError,
    502: UnavailableError,
    503: UnavailableError,
    504: DeadlineExceededError,
}


def api_error_class(status: str | None, http_status: int | None) -> type[ApiError]:
    """The ``ApiError`` subclass for a ``google.rpc`` status name, else for an HTTP status.

    Unknown names and codes give ``UnknownError``.

    >>> api_error_class("NOT_FOUND", 404).__name__
    'NotFoundError'
    >>> api_error_class("SOMETHING_NEW", 418).__name__
    'UnknownError'
    """
    if status is not None and status in _BY_STATUS:
        return _BY_STATUS[status]
    if http_status is not None and http_status in _BY_HTTP:
        return _BY_HTTP[http_status]
    return UnknownError
