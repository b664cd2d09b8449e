"""W8/R6: the retry policy as a pure decision."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision import errors
from gemini_vision.api import GeminiApi, RetryPolicy, build_generate_content
from gemini_vision.wire.http import HttpRequest, HttpResponse

GENERATE = build_generate_content(GeminiApi("k"), "gemini-2.5-flash", "hi")
# tunedModels.create without a tunedModelId: the server picks an id, so a second POST
# could create a second model.
CREATE = HttpRequest("POST", "https://h/v1beta/tunedModels", {}, b"{}", idempotent=False)


def status_response(
    code: int, status: str, retry_delay: str | None = None, **headers: str
) -> HttpResponse:
    error: dict[str, object] = {"code": code, "status": status, "message": "m"}
    if retry_delay is not None:
        error["details"] = [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
        ]
    return HttpResponse(code, headers, json.dumps({"error": error}).encode())


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    """408/429/500/502/503/504 are retried (idempotent request, attempts left)."""
    decision = RetryPolicy(seed=1).decide(1, GENERATE, response=HttpResponse(status))
    assert decision.retry and 0.5 <= decision.delay <= 1.0


@pytest.mark.parametrize("status", [200, 204, 400, 401, 403, 404, 409, 501])
def test_other_statuses_are_not_retried(status: int) -> None:
    """Success and client errors are final."""
    assert not RetryPolicy().decide(1, GENERATE, response=HttpResponse(status)).retry


def test_429_with_retry_info_waits_at_least_as_asked() -> None:
    """RetryInfo.retryDelay is a floor for the delay."""
    policy = RetryPolicy(seed=3)
    decision = policy.decide(
        1, GENERATE, response=status_response(429, "RESOURCE_EXHAUSTED", "17.5s")
    )
    assert decision.retry and decision.delay == 17.5
    assert "server asked 17.5 s" in decision.reason
    # A hint shorter than our backoff does not shorten the backoff.
    late = policy.decide(
        5 - 1, GENERATE, response=status_response(429, "RESOURCE_EXHAUSTED", "0.1s")
    )
    assert late.delay >= 8 * 0.5


def test_503_with_retry_after_seconds_and_date() -> None:
    """Retry-After in seconds, or as an HTTP date against the Date header, is honoured."""
    policy = RetryPolicy(seed=0, jitter=0.0)
    seconds = policy.decide(1, GENERATE, response=HttpResponse(503, {"Retry-After": "9"}))
    assert seconds.delay == 9.0
    dated = HttpResponse(
        503,
        {"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"},
    )
    assert policy.decide(1, GENERATE, response=dated).delay == 30.0
    # Both RetryInfo and Retry-After: the larger wins.
    both = status_response(503, "UNAVAILABLE", "4s", **{"Retry-After": "6"})
    assert policy.decide(1, GENERATE, response=both).delay == 6.0


def test_a_hint_beyond_max_delay_stops() -> None:
    """A server asking for more than max_delay (a daily quota) is not waited for."""
    decision = RetryPolicy(max_delay=60).decide(
        1, GENERATE, response=status_response(429, "RESOURCE_EXHAUSTED", "3600s")
    )
    assert not decision.retry and "more than max_delay" in decision.reason


def test_non_idempotent_requests_are_never_resent() -> None:
    """tunedModels.create without an id is not retried after a response or a timeout."""
    policy = RetryPolicy()
    for outcome in (
        {"response": HttpResponse(503)},
        {"error": errors.RequestTimeoutError("timed out")},
        {"error": errors.StreamInterruptedError("cut")},
        {"error": errors.UnavailableError("x", http_status=503)},
    ):
        decision = policy.decide(1, CREATE, **outcome)  # type: ignore[arg-type]
        assert not decision.retry and "not idempotent" in decision.reason


def test_connect_errors_are_retried_even_for_non_idempotent_requests() -> None:
    """No connection means nothing was sent: safe to try again."""
    assert RetryPolicy().decide(1, CREATE, error=errors.ConnectError("refused")).retry


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (errors.ConnectError("refused"), True),
        (errors.RequestTimeoutError("slow"), True),
        (errors.StreamInterruptedError("cut"), True),
        (errors.TransportError("other"), False),
        (errors.ResourceExhaustedError("q", http_status=429, retry_delay=2.0), True),
        (errors.InvalidArgumentError("bad", http_status=400), False),
        (errors.ProtocolError("junk"), False),
        (errors.LocalError("invalid"), False),
        (ValueError("bug"), False),
    ],
)
def test_errors(error: BaseException, retry: bool) -> None:
    """Transport errors and retryable ApiErrors are retried; the rest are not."""
    assert RetryPolicy().decide(1, GENERATE, error=error).retry is retry


def test_attempts_are_bounded() -> None:
    """After max_attempts attempts the policy stops."""
    policy = RetryPolicy(max_attempts=3)
    assert policy.decide(2, GENERATE, response=HttpResponse(503)).retry
    final = policy.decide(3, GENERATE, response=HttpResponse(503))
    assert not final.retry and "3 attempts" in final.reason


def test_backoff_grows_and_is_capped() -> None:
    """Without jitter the delays are initial * multiplier^(n-1), capped at max_delay."""
    policy = RetryPolicy(max_attempts=100, initial=0.5, multiplier=3, max_delay=10, jitter=0)
    delays = [policy.decide(n, GENERATE, response=HttpResponse(500)).delay for n in range(1, 6)]
    assert delays == [0.5, 1.5, 4.5, 10, 10]
    assert policy.backoff(10_000) == 10


@given(st.integers(0, 2**32), st.lists(st.integers(1, 8), min_size=1, max_size=10))
def test_jitter_is_reproducible_with_a_seed(seed: int, attempts: list[int]) -> None:
    """Two policies with one seed decide identically; delays stay within [(1-j)*b, b]."""
    a, b = RetryPolicy(seed=seed, max_attempts=10), RetryPolicy(seed=seed, max_attempts=10)
    reference = random.Random(seed)
    for attempt in attempts:
        da = a.decide(attempt, GENERATE, response=HttpResponse(503))
        db = b.decide(attempt, GENERATE, response=HttpResponse(503))
        assert da == db
        base = min(60.0, 2.0 ** (attempt - 1))
        assert da.delay == pytest.approx(base * (1 - 0.5 * reference.random()))


def test_decide_needs_one_outcome() -> None:
    """Exactly one of response= and error= must be given."""
    with pytest.raises(ValueError):
        RetryPolicy().decide(1, GENERATE)
