"""The retry policy as a pure decision (W8, R6).

``RetryPolicy.decide`` looks at the attempt that just failed (its number, the
request, and the response or the transport error) and answers whether to try
again and after how long. It never sleeps and never reads a clock: the client
does the waiting, so the sync and async clients share one policy.

Rules, in order:

1. ``max_attempts`` reached -> stop.
2. A 2xx response -> stop (nothing to retry).
3. Retryable: HTTP 408, 429, 500, 502, 503, 504 (from a response or an
   ``ApiError``), ``ConnectError``, ``RequestTimeoutError``,
   ``StreamInterruptedError``. Anything else (4xx, ``LocalError``,
   ``ProtocolError``) -> stop.
4. A request that is not idempotent (``HttpRequest.idempotent`` False, e.g.
   ``tunedModels.create`` without an id) is never re-sent, except after a
   ``ConnectError``: no connection means no byte of it reached the server.
5. The delay is the larger of the jittered exponential backoff and the
   server's own hint (``RetryInfo.retryDelay`` or ``Retry-After``, the larger if
   both): the server's hint is a floor we respect, while our backoff keeps
   growing when the hint is small. A hint longer than ``max_delay`` means the
   server does not expect to recover soon (a daily quota): stop and surface it.

Backoff: ``initial * multiplier ** (attempt - 1)``, capped at ``max_delay``,
then scaled by a factor drawn uniformly from ``[1 - jitter, 1]`` with the
policy's own ``random.Random`` (seedable, so tests and replays are
reproducible).

>>> from gemini_vision.wire.http import parse_retry_after, HttpRequest, HttpResponse
>>> policy = RetryPolicy(seed=7, jitter=0.0)
>>> req = HttpRequest("POST", "https://h/v1beta/models/m:generateContent", idempotent=True)
>>> policy.decide(1, req, response=HttpResponse(503))
RetryDecision(retry=True, delay=1.0, reason='HTTP 503 is retryable')
>>> policy.decide(3, req, response=HttpResponse(503)).delay
4.0
>>> policy.decide(1, req, response=HttpResponse(400)).retry
False
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gemini_vision.api.errors import api_error_from_response
from gemini_vision.errors import (
    ApiError,
    ConnectError,
    RequestTimeoutError,
    StreamInterruptedError,
)
from gemini_vision.wire.http import HttpRequest, HttpResponse, parse_retry_after

__all__ = ["RETRYABLE_STATUSES", "RetryDecision", "RetryPolicy"]

#: HTTP statuses worth another attempt.
RETRYABLE_STATUSES: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
_RETRYABLE_TRANSPORT = (ConnectError, RequestTimeoutError, StreamInterruptedError)


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """Whether to send the request again, after how many seconds, and why."""

    retry: bool
    delay: float
    reason: str


class RetryPolicy:
    """Exponential backoff with jitter, honouring the server's hints.

    Args:
        max_attempts: total attempts including the first (1 disables retries).
        initial: backoff before the second attempt, in seconds.
        multiplier: growth factor per attempt.
        max_delay: cap on the backoff; a server hint above it stops retrying.
        jitter: fraction of the backoff that is random, in [0, 1].
        seed: seeds the policy's own ``random.Random`` (ignored when ``rng`` is given).
        rng: a ``random.Random`` to draw jitter from.
    """

    def __init__(
        self,
        max_attempts: int = 5,
        initial: float = 1.0,
        multiplier: float = 2.0,
        max_delay: float = 60.0,
        jitter: float = 0.5,
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if not (initial >= 0 and multiplier >= 1 and max_delay >= 0):
            raise ValueError("initial and max_delay must be >= 0 and multiplier >= 1")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError(f"jitter must be in [0, 1], got {jitter}")
        self.max_attempts = max_attempts
        self.initial = initial
        self.multiplier = multiplier
        self.max_delay = max_delay
        self.jitter = jitter
        self.rng = rng if rng is not None else random.Random(seed)

    def backoff(self, attempt: int) -> float:
        """The jittered backoff after failed attempt number ``attempt`` (1-based)."""
        exponent = min(max(attempt - 1, 0), 64)  # large attempts: the cap applies anyway
        base = min(self.max_delay, self.initial * self.multiplier**exponent)
        return base * (1.0 - self.jitter * self.rng.random())

    def decide(
        self,
        attempt: int,
        request: HttpRequest,
        *,
        response: HttpResponse | None = None,
        error: BaseException | None = None,
        now: float | None = None,
    ) -> RetryDecision:
        """Decide after failed attempt number ``attempt`` (1 for the first).

        Give the ``response`` that came back, or the ``error`` raised instead
        (a ``TransportError`` from the transport, or the ``ApiError`` a parser
        raised). ``now`` (a POSIX time) is only used to read a ``Retry-After``
        date when the response has no ``Date`` header.
        """
        if (response is None) == (error is None):
            raise ValueError("decide() needs exactly one of response= or error=")
        label, retryable, hint = self._classify(response, error, now)
        if not retryable:
            return RetryDecision(False, 0.0, f"{label} is not retryable")
        if attempt >= self.max_attempts:
            return RetryDecision(False, 0.0, f"{label}; {self.max_attempts} attempts made")
        if not request.idempotent and not isinstance(error, ConnectError):
            return RetryDecision(
                False, 0.0, f"{label}, but {request.method} is not idempotent: not re-sent"
            )
        if hint is not None and hint > self.max_delay:
            return RetryDecision(
                False,
                0.0,
                f"{label}; the server asks to wait {hint:g} s, more than max_delay "
                f"({self.max_delay:g} s)",
            )
        delay = self.backoff(attempt)
        if hint is not None and hint > delay:
            return RetryDecision(True, hint, f"{label} is retryable; server asked {hint:g} s")
        return RetryDecision(True, delay, f"{label} is retryable")

    def _classify(
        self, response: HttpResponse | None, error: BaseException | None, now: float | None
    ) -> tuple[str, bool, float | None]:
        if response is not None:
            if response.is_success:
                return f"HTTP {response.status}", False, None
            status = response.status
            if status not in RETRYABLE_STATUSES:
                return f"HTTP {status}", False, None
            hint = api_error_from_response(response).retry_delay
            retry_after = parse_retry_after(response.headers, now=now)
            if retry_after is not None:
                hint = retry_after if hint is None else max(hint, retry_after)
            return f"HTTP {status}", True, hint
        if isinstance(error, ApiError):
            code = error.http_status if error.http_status is not None else error.code
            if code is None:
                return type(error).__name__, False, error.retry_delay
            label = f"HTTP {code} {type(error).__name__}"
            return label, code in RETRYABLE_STATUSES, error.retry_delay
        # Other transport errors (a subclass we do not know) and local or
        # protocol errors are not worth repeating.
        return type(error).__name__, isinstance(error, _RETRYABLE_TRANSPORT), None
