"""Fault injection for the emulator (E2): errors, latency, cut connections, stalled uploads.

Each fault is armed for the next ``count`` requests that match (``match`` is a
substring of ``"METHOD /path?query"``, or ``None`` for every request) and is
used up as those requests arrive, so a test says exactly what goes wrong and
where. The handler asks ``Faults.take(request_line)`` once per request and
acts on what it gets back.

>>> faults = Faults()
>>> faults.fail_next(2, status=503, match="POST /v1beta/tunedModels")
>>> faults.take("GET /v1beta/files").error is None
True
>>> faults.take("POST /v1beta/tunedModels").error.status
503
>>> faults.pending()
1
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field

__all__ = ["CutPoint", "ErrorFault", "Faults", "InjectedFaults"]


class CutPoint(str, enum.Enum):
    """Where a connection is cut."""

    #: The request is processed, then the connection closes before any response byte.
    BEFORE_RESPONSE = "before_response"
    #: Headers and part of a fixed-length body are sent, then the connection closes.
    MID_BODY = "mid_body"
    #: Some events of a streamed (chunked) response are sent, then the connection closes.
    MID_STREAM = "mid_stream"


@dataclass(frozen=True, slots=True)
class ErrorFault:
    """Answer with this HTTP status and a ``google.rpc.Status`` body instead of the real one."""

    status: int
    retry_delay: float | None = None
    retry_after_header: str | None = None
    message: str = "injected by the emulator"


@dataclass(slots=True)
class _Armed:
    kind: str
    remaining: int
    match: str | None
    error: ErrorFault | None = None
    delay: float = 0.0
    cut: CutPoint | None = None
    keep: int = 0


@dataclass(frozen=True, slots=True)
class InjectedFaults:
    """What happens to one request: any of an error, a delay, a cut, an upload stall."""

    error: ErrorFault | None = None
    delay: float = 0.0
    cut: CutPoint | None = None
    cut_keep: int = 0
    upload_stop_after: int | None = None


@dataclass(slots=True)
class Faults:
    """The armed faults of one emulator; thread-safe."""

    _armed: list[_Armed] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 503,
        retry_delay: float | None = None,
        retry_after: str | None = None,
        match: str | None = None,
    ) -> None:
        """The next ``count`` matching requests fail with ``status`` (429, 503, ...).

        ``retry_delay`` adds a ``google.rpc.RetryInfo`` detail; ``retry_after``
        a ``Retry-After`` header (seconds or an HTTP date, sent as given).
        """
        error = ErrorFault(status, retry_delay, retry_after)
        self._arm(_Armed("error", count, match, error=error))

    def delay(self, seconds: float, *, count: int = 1, match: str | None = None) -> None:
        """The next ``count`` matching requests wait ``seconds`` before being answered."""
        self._arm(_Armed("delay", count, match, delay=seconds))

    def cut(
        self,
        where: CutPoint | str = CutPoint.MID_BODY,
        *,
        count: int = 1,
        keep: int = 16,
        match: str | None = None,
    ) -> None:
        """Cut the connection of the next ``count`` matching requests at ``where``.

        ``keep`` is how many body bytes (``MID_BODY``) or events (``MID_STREAM``)
        are sent before the cut.
        """
        self._arm(_Armed("cut", count, match, cut=CutPoint(where), keep=keep))

    def stop_upload_after(
        self, byte_count: int, *, count: int = 1, match: str | None = None
    ) -> None:
        """The next ``count`` upload chunks are read for ``byte_count`` bytes, kept, then cut.

        The server keeps exactly the bytes it read, as a real server that lost
        the connection mid-chunk does; the client must ask where to resume.
        """
        self._arm(_Armed("upload", count, match, keep=byte_count))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def pending(self) -> int:
        """How many fault uses are still armed."""
        with self._lock:
            return sum(armed.remaining for armed in self._armed)

    def _arm(self, armed: _Armed) -> None:
        if armed.remaining < 1:
            raise ValueError(f"count must be at least 1, got {armed.remaining}")
        with self._lock:
            self._armed.append(armed)

    def take(self, request_line: str, *, upload_chunk: bool = False) -> InjectedFaults:
        """Use up the faults for one request.

        Delays add to whatever else happens. Of the other faults (errors, cuts,
        upload stalls) a request takes at most one: the first armed that
        matches, so faults armed one after another hit successive requests.
        Upload stalls only match requests that carry upload bytes.
        """
        delay = 0.0
        chosen: _Armed | None = None
        with self._lock:
            for armed in self._armed:
                if armed.match is not None and armed.match not in request_line:
                    continue
                if armed.kind == "delay":
                    delay += armed.delay
                    armed.remaining -= 1
                elif chosen is None and (armed.kind != "upload" or upload_chunk):
                    chosen = armed
                    armed.remaining -= 1
            self._armed = [armed for armed in self._armed if armed.remaining > 0]
        if chosen is None:
            return InjectedFaults(delay=delay)
        return InjectedFaults(
            error=chosen.error,
            delay=delay,
            cut=chosen.cut,
            cut_keep=chosen.keep if chosen.kind == "cut" else 0,
            upload_stop_after=chosen.keep if chosen.kind == "upload" else None,
        )
