"""Multi-step exchanges as sans-I/O generators that clients drive (retry, and flows built on it).

A *flow* is a generator that yields what it needs next and returns its result:

* it yields an ``HttpRequest`` and receives the ``HttpResponse`` (``send``),
  or gets the transport's ``TransportError`` thrown in at the ``yield``;
* it yields a ``Wait`` and is resumed (with None) after that many seconds.

The flow never performs I/O, never sleeps and never reads a clock; ``Client``
drives it with a transport and ``time.sleep``, ``AsyncClient`` with an async
transport and ``asyncio.sleep`` -- one machine, two drivers. ``with_retry`` is
the basic flow: one request, retried as ``RetryPolicy`` decides. Bigger flows
(uploads, pollers) ``yield from with_retry(...)`` for each request, or handle
transport errors themselves. A class-based state machine (``next_step()`` /
``receive_response()`` / ``receive_error()``) becomes a flow with a short loop:
yield ``Wait`` for its delay, yield its request, and feed back what comes in
(``except TransportError as e: machine.receive_error(e)``).

>>> from gemini_vision.api.retry import RetryPolicy
>>> from gemini_vision.wire.http import HttpRequest, HttpResponse
>>> request = HttpRequest("POST", "https://h/m:generateContent", idempotent=True)
>>> flow = with_retry(RetryPolicy(seed=1, jitter=0.0), request)
>>> next(flow) is request
True
>>> flow.send(HttpResponse(503, {"retry-after": "3"}))
Wait(seconds=3.0, reason='HTTP 503 is retryable; server asked 3 s')
>>> next(flow) is request
True
>>> run_to_end(flow, HttpResponse(200, {}, b"{}")).status
200
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TypeVar, Union

from gemini_vision.api.retry import RetryPolicy
from gemini_vision.errors import TransportError
from gemini_vision.wire.http import HttpRequest, HttpResponse

__all__ = ["Flow", "Step", "Wait", "run_to_end", "with_retry"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Wait:
    """Resume the flow after ``seconds`` (the driver sleeps; the flow never does)."""

    seconds: float
    reason: str = ""


Step = Union[HttpRequest, Wait]  # noqa: UP007 - a runtime alias, kept 3.10-compatible
#: A flow yields steps, receives responses (or None after a Wait) and returns a value.
Flow = Generator[Step, Union[HttpResponse, None], T]  # noqa: UP007


def with_retry(policy: RetryPolicy, request: HttpRequest) -> Flow[HttpResponse]:
    """Send ``request`` until it succeeds or ``policy`` says stop; return the last response.

    The response returned may be an error status (the caller's parser turns it
    into an ``ApiError``); a transport error on the last attempt propagates.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            response = yield request
        except TransportError as error:
            decision = policy.decide(attempt, request, error=error)
            if not decision.retry:
                raise
        else:
            if response is None:
                raise TypeError("a flow that yielded a request must be sent its response")
            if response.is_success:
                return response
            decision = policy.decide(attempt, request, response=response)
            if not decision.retry:
                return response
        resumed = yield Wait(decision.delay, decision.reason)
        if resumed is not None:
            raise TypeError("a flow that yielded Wait is resumed with None")


def run_to_end(flow: Flow[T], response: HttpResponse) -> T:
    """Send ``response`` to a flow waiting for one and return its result (for tests, doctests).

    Raises ``RuntimeError`` if the flow asks for anything else instead of finishing.
    """
    try:
        step = flow.send(response)
    except StopIteration as stop:
        result: T = stop.value
        return result
    raise RuntimeError(f"the flow did not finish; it asked for {step!r}")
