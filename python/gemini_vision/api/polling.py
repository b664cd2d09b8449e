"""Waiting for a resource to finish, without waiting: a sans-I/O poller.

A ``Poller`` holds the request that reads the resource (``files.get``,
``operations.get``), a parser, and a ``check`` that looks at each parsed value
and answers the final result, ``None`` for "not yet", or raises (a ``FAILED``
file, an operation with an error). ``next_step()`` says what to do: ``Poll``
(send this request after ``delay`` seconds) or ``Done``. The delay grows by
``multiplier`` up to ``max_delay``; the sum of the delays is the time the
caller will have waited, so ``timeout`` is enforced without a clock. Every
parsed value is passed to ``on_update`` (progress bars).

>>> from gemini_vision.wire.http import HttpRequest, HttpResponse
>>> poller = Poller(HttpRequest("GET", "https://h/v1beta/files/a"),
...                 parse=lambda r: r.json()["state"],
...                 check=lambda state: state if state == "ACTIVE" else None,
...                 initial_delay=1.0, multiplier=2.0)
>>> step = poller.next_step()
>>> step.request.url, step.delay
('https://h/v1beta/files/a', 0.0)
>>> poller.receive_response(HttpResponse(200, {}, b'{"state": "PROCESSING"}'))
>>> poller.next_step().delay
1.0
>>> poller.receive_response(HttpResponse(200, {}, b'{"state": "ACTIVE"}'))
>>> poller.next_step()
Done(value='ACTIVE')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from gemini_vision.api.errors import api_error_from_response
from gemini_vision.api.flow import Flow, Wait, with_retry
from gemini_vision.api.retry import RetryPolicy
from gemini_vision.errors import GeminiVisionError, LocalError
from gemini_vision.wire.http import HttpRequest, HttpResponse

__all__ = ["Done", "Poll", "Poller", "WaitTimeoutError", "poll_flow"]

R = TypeVar("R")
T = TypeVar("T")


class WaitTimeoutError(GeminiVisionError, TimeoutError):
    """The resource was not done within the time the caller allowed."""


@dataclass(frozen=True, slots=True)
class Poll:
    """Send ``request`` after waiting ``delay`` seconds, then feed back the response."""

    request: HttpRequest
    delay: float


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """The wait is over; ``value`` is what ``check`` returned."""

    value: T


class Poller(Generic[R, T]):
    """Poll one resource until ``check`` says it is done (see the module docstring).

    Args:
        request: the GET that reads the resource (sent unchanged every time).
        parse: response -> resource value (raises on a malformed answer).
        check: resource -> final value, ``None`` to poll again, or raises on failure.
        initial: a value already in hand (e.g. the File from the upload): checked
            first, so no request is sent if it is already done.
        initial_delay, multiplier, max_delay: the backoff between polls, in seconds.
        timeout: give up (``WaitTimeoutError``) once the delays would exceed this.
        on_update: called with every value seen.
    """

    def __init__(
        self,
        request: HttpRequest,
        *,
        parse: Callable[[HttpResponse], R],
        check: Callable[[R], T | None],
        initial: R | None = None,
        initial_delay: float = 1.0,
        multiplier: float = 1.5,
        max_delay: float = 30.0,
        timeout: float | None = None,
        on_update: Callable[[R], None] | None = None,
        what: str = "the resource",
    ) -> None:
        if initial_delay < 0 or multiplier < 1 or max_delay < 0:
            raise LocalError("poll delays must be non-negative and the multiplier at least 1")
        self.request = request
        self._parse = parse
        self._check = check
        self._on_update = on_update
        self._next_delay = initial_delay
        self._multiplier = multiplier
        self._max_delay = max_delay
        self.timeout = timeout
        self.waited = 0.0
        self.polls = 0
        self.what = what
        self._result: Done[T] | None = None
        self._pending_delay = 0.0
        if initial is not None:
            self._observe(initial)
            self._pending_delay = self._take_delay()

    def next_step(self) -> Poll | Done[T]:
        """``Poll(request, delay)`` or ``Done(value)``."""
        if self._result is not None:
            return self._result
        delay = self._pending_delay
        if self.timeout is not None and self.waited + delay > self.timeout:
            raise WaitTimeoutError(
                f"{self.what} was not done after waiting {self.waited:g} s "
                f"({self.polls} polls; timeout {self.timeout:g} s)"
            )
        return Poll(self.request, delay)

    def receive_response(self, response: HttpResponse) -> None:
        """Feed back the answer to the last ``Poll``'s request."""
        self.waited += self._pending_delay
        self.polls += 1
        if not response.is_success:
            raise api_error_from_response(response)
        self._observe(self._parse(response))
        self._pending_delay = self._take_delay()

    def _observe(self, value: R) -> None:
        if self._on_update is not None:
            self._on_update(value)
        final = self._check(value)
        if final is not None:
            self._result = Done(final)

    def _take_delay(self) -> float:
        delay = self._next_delay
        self._next_delay = min(self._max_delay, self._next_delay * self._multiplier)
        return delay


def poll_flow(poller: Poller[R, T], policy: RetryPolicy) -> Flow[T]:
    """Run ``poller`` as a flow the clients drive; each poll is retried as ``policy`` says.

    >>> from gemini_vision.api.flow import run_to_end
    >>> from gemini_vision.wire.http import HttpRequest, HttpResponse
    >>> poller = Poller(HttpRequest("GET", "https://h/x"), parse=lambda r: r.json(),
    ...                 check=lambda v: v or None)
    >>> flow = poll_flow(poller, RetryPolicy())
    >>> next(flow).url
    'https://h/x'
    >>> flow.send(HttpResponse(200, {}, b"0"))
    Wait(seconds=1.0, reason='polling https://h/x')
    >>> next(flow).url
    'https://h/x'
    >>> run_to_end(flow, HttpResponse(200, {}, b"7"))
    7
    """
    while True:
        step = poller.next_step()
        if isinstance(step, Done):
            return step.value
        if step.delay > 0:
            yield Wait(step.delay, f"polling {step.request.url}")
        response = yield from with_retry(policy, step.request)
        poller.receive_response(response)
