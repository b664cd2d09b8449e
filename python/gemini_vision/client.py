"""``Client`` and ``AsyncClient``: builders + transport + parsers + retry (X3). Composition only.

Each call builds an ``HttpRequest`` with the sans-I/O core (``api``), checks
the request limits (I4), drives a flow (``api.flow``) that sends it through the
transport and retries as the ``RetryPolicy`` decides, sleeping with the
injected ``sleep``, then parses the answer. Other flows (uploads, pollers)
plug into the same drivers: ``Client._drive(flow)`` runs any flow,
``Client._execute(request)`` one request with retry.

Streaming is retried only until the stream is open: once chunks have been
delivered, an interruption is raised (re-sending would repeat the answer).
A transport without ``stream`` still works: the body is parsed at once.

Configuration keywords of ``generate``/``stream``/``count_tokens`` are the
request's (``generation_config``, ``tools``, ``tool_config``,
``safety_settings``, ``system_instruction``, ``cached_content``); any other
keyword is a ``GenerationConfig`` field (``temperature=0.2``,
``response_mime_type="application/json"``, ``media_resolution=...``), and a
name that is none of these is refused with the nearest valid one. ``config=``
takes what google-genai's ``generate_content(config=...)`` takes (a
``types.GenerateContentConfig`` or a dict like it); contents may hold its
``types.Content`` and ``types.Part`` values (see ``wire.sdk``).

The API key comes from ``api_key=``, else the environment as google-genai reads
it: ``GOOGLE_API_KEY``, else ``GEMINI_API_KEY`` (a warning when both are set
and differ).

>>> client = Client(api_key="AIza-secret")
>>> "secret" in repr(client)
False
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from gemini_vision.api.endpoints import Endpoint, GeminiApi
from gemini_vision.api.errors import api_error_from_response
from gemini_vision.api.flow import Flow, Wait, with_retry
from gemini_vision.api.generate import (
    build_count_tokens,
    build_generate_content,
    build_stream_generate_content,
    parse_count_tokens,
    parse_generate_content,
)
from gemini_vision.api.retry import RetryPolicy
from gemini_vision.api.secrets import request_secrets, scrub_response, scrub_transport_error
from gemini_vision.client_files import AsyncFilesAndTuning, FilesAndTuning
from gemini_vision.errors import LocalError, TransportError
from gemini_vision.images.fetch import MAX_FETCH_BYTES, build_image_fetch, parse_image_fetch
from gemini_vision.images.inputs import ImagePart
from gemini_vision.transports.base import (
    AsyncStreamingResponse,
    AsyncTransport,
    StreamingResponse,
    Transport,
    aopen_stream,
    open_stream,
)
from gemini_vision.wire.config import GenerationConfig
from gemini_vision.wire.enums import nearest
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.model import camel_to_snake, snake_to_camel
from gemini_vision.wire.response import CountTokensResponse, GenerateContentResponse

if TYPE_CHECKING:
    from gemini_vision.api.sse import StreamParser

__all__ = ["DEFAULT_TIMEOUT", "AsyncClient", "Client"]

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0
_REQUEST_OPTIONS = frozenset(
    {
        "generation_config",
        "tools",
        "tool_config",
        "safety_settings",
        "system_instruction",
        "cached_content",
    }
)


#: The generation fields a keyword may name: the typed ones and those the API
#: documents that the library passes through untyped.
GENERATION_KEYWORDS = frozenset(
    {camel_to_snake(name) for name in GenerationConfig._SPEC}
    | {"response_json_schema", "enable_enhanced_civic_answers", "image_config", "audio_timestamp"}
)


def _check_keywords(config: Mapping[str, Any]) -> None:
    known = sorted(GENERATION_KEYWORDS | _REQUEST_OPTIONS | {"config"})
    for name in config:
        if name in known:
            continue
        hint = nearest(name, known)
        suggestion = f"; did you mean {hint!r}?" if hint else ""
        raise LocalError(
            f"unknown keyword {name!r}: neither a request option nor a generation "
            f"setting{suggestion}"
        )


def request_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Split call keywords into request options, folding the rest into ``generation_config``.

    ``config=`` (google-genai's name) is another spelling of ``generation_config``.

    >>> request_options({"temperature": 0.2, "tools": []})
    {'tools': [], 'generation_config': {'temperature': 0.2}}
    >>> request_options({"temprature": 0.2})
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: unknown keyword 'temprature': neither a request option nor a generation setting; did you mean 'temperature'?
    """  # noqa: E501
    _check_keywords(config)
    if "config" in config:
        if config.get("generation_config") is not None:
            raise LocalError("pass config= or generation_config=, not both")
        config = dict(config)
        config["generation_config"] = config.pop("config")
    options = {k: v for k, v in config.items() if k in _REQUEST_OPTIONS}
    extra = {snake_to_camel(k): v for k, v in config.items() if k not in _REQUEST_OPTIONS}
    if extra:
        from gemini_vision.api.generate import split_config

        base = split_config(options.get("generation_config"), options)
        merged: dict[str, Any] = {} if base is None else base.to_json()
        merged.update(extra)
        options["generation_config"] = merged
    return options


def api_key_from_environment() -> str | None:
    """The API key as google-genai reads it: ``GOOGLE_API_KEY``, else ``GEMINI_API_KEY``.

    Both set to different keys: ``GOOGLE_API_KEY`` wins, with a warning.
    Empty values count as unset.
    """
    google = os.environ.get("GOOGLE_API_KEY") or None
    gemini = os.environ.get("GEMINI_API_KEY") or None
    if google is not None and gemini is not None and google != gemini:
        warnings.warn(
            "both GOOGLE_API_KEY and GEMINI_API_KEY are set; using GOOGLE_API_KEY "
            "(as google-genai does)",
            UserWarning,
            stacklevel=4,
        )
    return google if google is not None else gemini


class _ClientBase:
    """What both clients share: the endpoint, the policy, the timeout, the request building."""

    def __init__(
        self,
        api_key: str | None,
        endpoint: Endpoint | None,
        base_url: str | None,
        retry: RetryPolicy | None,
        timeout: float | None,
    ) -> None:
        if endpoint is not None:
            if api_key is not None or base_url is not None:
                raise LocalError("pass either endpoint= or api_key=/base_url=, not both")
            self.endpoint: Endpoint = endpoint
        else:
            if api_key is not None and not isinstance(api_key, str):
                raise LocalError(f"api_key must be a string, got {type(api_key).__name__}")
            if base_url is not None and not isinstance(base_url, str):
                raise LocalError(f"base_url must be a string, got {type(base_url).__name__}")
            key = api_key if api_key is not None else api_key_from_environment()
            if key is None and base_url is None:
                raise LocalError(
                    "no API key: pass api_key=, set GOOGLE_API_KEY or GEMINI_API_KEY, or give "
                    "a base_url= (a proxy or emulator that needs none)"
                )
            self.endpoint = (
                GeminiApi(key) if base_url is None else GeminiApi(key, base_url=base_url)
            )
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise LocalError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
        ):
            raise LocalError(
                f"timeout must be a positive number of seconds or None, got {timeout!r}"
            )
        self.retry = retry if retry is not None else RetryPolicy()
        self.timeout = timeout

    def _generate_request(
        self, model: str, contents: Any, config: Mapping[str, Any]
    ) -> HttpRequest:
        _check_model(model)
        request = build_generate_content(self.endpoint, model, contents, **request_options(config))
        _check_limits(request)
        return request

    def _stream_request(self, model: str, contents: Any, config: Mapping[str, Any]) -> HttpRequest:
        _check_model(model)
        options = request_options(config)
        request = build_stream_generate_content(self.endpoint, model, contents, **options)
        _check_limits(request)
        return request

    def _count_request(self, model: str, contents: Any, config: Mapping[str, Any]) -> HttpRequest:
        _check_model(model)
        request = build_count_tokens(self.endpoint, model, contents, **request_options(config))
        _check_limits(request)
        return request

    def _secret_forms(self, request: HttpRequest) -> list[str]:
        """The credentials this request carries and the endpoint's key, in every form:
        scrubbed from whatever comes back, before anything parses it (R3)."""
        return request_secrets(request, [getattr(self.endpoint, "_api_key", None)])

    def __repr__(self) -> str:
        transport = getattr(self, "transport", None)
        return (
            f"{type(self).__name__}(endpoint={self.endpoint!r}, transport={transport!r}, "
            f"timeout={self.timeout!r})"
        )


def _check_fetch(url: Any, mime_type: Any, max_bytes: Any) -> None:
    if not isinstance(url, str) or not url.strip():
        raise LocalError(f"url: must be an http(s) URL string, got {url!r}")
    if mime_type is not None and not isinstance(mime_type, str):
        raise LocalError(f"mime_type: must be a string or None, got {type(mime_type).__name__}")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise LocalError(f"max_bytes: must be a positive integer, got {max_bytes!r}")


def _check_model(model: Any) -> None:
    if not isinstance(model, str) or not model.strip():
        raise LocalError(
            "model must be a model name such as 'gemini-2.5-flash' or 'tunedModels/x', "
            f"got {model!r}"
        )


def _check_limits(request: HttpRequest) -> None:
    """``images.limits.check_request_limits``, loaded with the first request
    rather than with the client (issue 15: the client's import cost)."""
    from gemini_vision.images.limits import check_request_limits

    check_request_limits(request)


def _stream_parser(http_status: int) -> StreamParser:
    """An ``api.sse.StreamParser``, loaded with the first stream rather than with
    the client (issue 15: the client's import cost)."""
    from gemini_vision.api.sse import StreamParser

    return StreamParser(http_status=http_status)


def _capped(chunks: list[bytes], limit: int) -> bytes:
    return b"".join(chunks)[: limit + 1]


class Client(FilesAndTuning, _ClientBase):
    """A synchronous Gemini client over any ``Transport`` (default: the standard library).

    Args:
        api_key: the Gemini API key (default: ``GOOGLE_API_KEY``, else
            ``GEMINI_API_KEY``, as google-genai reads them); sent only in the
            ``x-goog-api-key`` header.
        endpoint: a ``GeminiApi`` or ``VertexAi`` instead of ``api_key``/``base_url``.
        base_url: a proxy or emulator speaking the Gemini API.
        transport: anything with ``send(request, *, timeout)``; ``stream`` optional.
        retry: the ``RetryPolicy`` (default: 5 attempts, exponential backoff).
        timeout: seconds per request (connect and each wait for data).
        sleep: how to wait between attempts (inject a fake in tests).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        endpoint: Endpoint | None = None,
        base_url: str | None = None,
        transport: Transport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        super().__init__(api_key, endpoint, base_url, retry, timeout)
        if transport is None:
            from gemini_vision.transports.urllib_transport import UrllibTransport

            transport = UrllibTransport()
        self.transport = transport
        self._sleep = sleep

    # --- drivers ------------------------------------------------------------------

    def _drive(self, flow: Flow[T]) -> T:
        """Run a flow to its end: send its requests, sleep its waits, return its result."""
        try:
            step = next(flow)
            while True:
                if isinstance(step, Wait):
                    self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                forms = self._secret_forms(step)
                try:
                    response = self.transport.send(step, timeout=self.timeout)
                except TransportError as error:
                    step = flow.throw(scrub_transport_error(error, forms))
                else:
                    step = flow.send(scrub_response(response, forms))
        except StopIteration as stop:
            result: T = stop.value
            return result

    def _execute(self, request: HttpRequest) -> HttpResponse:
        """Send one request with retry; the last response, whatever its status."""
        return self._drive(with_retry(self.retry, request))

    def _open(self, request: HttpRequest) -> StreamingResponse | HttpResponse:
        """Open a stream with retry: the open stream on success, else the final error response."""
        flow = with_retry(self.retry, request)
        opened: StreamingResponse | None = None
        try:
            step = next(flow)
            while True:
                if isinstance(step, Wait):
                    self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                forms = self._secret_forms(step)
                try:
                    streaming = open_stream(self.transport, step, timeout=self.timeout)
                    if streaming.is_success:
                        opened, summary = (
                            streaming,
                            HttpResponse(streaming.status, streaming.headers),
                        )
                    else:
                        summary = scrub_response(streaming.to_response(), forms)
                except TransportError as error:
                    step = flow.throw(scrub_transport_error(error, forms))
                else:
                    step = flow.send(summary)
        except StopIteration as stop:
            final: HttpResponse = stop.value
            return opened if final.is_success and opened is not None else final

    # --- calls --------------------------------------------------------------------

    def generate(self, model: str, contents: Any, **config: Any) -> GenerateContentResponse:
        """``generateContent``: the model's whole answer.

        Raises:
            LocalError: the request is invalid or over the limits (nothing sent).
            ApiError: the server refused (after retries, when retryable).
            TransportError: the last attempt failed below HTTP.
        """
        return parse_generate_content(
            self._execute(self._generate_request(model, contents, config))
        )

    def stream(self, model: str, contents: Any, **config: Any) -> Iterator[GenerateContentResponse]:
        """``streamGenerateContent``: answer chunks as they arrive.

        An error the server sends mid-stream is raised after the chunks before it.
        """
        return self._stream_chunks(self._stream_request(model, contents, config))

    def _stream_chunks(self, request: HttpRequest) -> Iterator[GenerateContentResponse]:
        opened = self._open(request)
        if isinstance(opened, HttpResponse):
            raise api_error_from_response(opened)
        parser = _stream_parser(opened.status)
        with opened:
            for data in opened:
                yield from parser.feed(data)
            yield from parser.close()

    def count_tokens(self, model: str, contents: Any, **config: Any) -> CountTokensResponse:
        """``countTokens`` for the same arguments as ``generate``."""
        return parse_count_tokens(self._execute(self._count_request(model, contents, config)))

    def fetch_image(
        self,
        url: str,
        *,
        mime_type: str | None = None,
        apply_orientation: bool | None = None,
        max_bytes: int = MAX_FETCH_BYTES,
    ) -> ImagePart:
        """An image from ``url`` (GET through this client's transport, with retry), checked (I5).

        No API credential is sent to the image host.
        """
        _check_fetch(url, mime_type, max_bytes)
        opened = self._open(build_image_fetch(url))
        if isinstance(opened, HttpResponse):
            response = opened
        else:
            with opened:
                body: list[bytes] = []
                size = 0
                for chunk in opened:
                    body.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        break  # enough to say it is too big; do not download the rest
            response = HttpResponse(opened.status, opened.headers, _capped(body, max_bytes))
        return parse_image_fetch(
            response,
            url=url,
            mime_type=mime_type,
            apply_orientation=apply_orientation,
            max_bytes=max_bytes,
        )

    def close(self) -> None:
        """Close the transport if it can be closed."""
        close = getattr(self.transport, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _default_async_transport() -> AsyncTransport:
    try:
        import httpx  # noqa: F401
    except ImportError:
        from gemini_vision.transports.threaded import AsyncUrllibTransport

        return AsyncUrllibTransport()
    from gemini_vision.transports.httpx_transport import AsyncHttpxTransport

    return AsyncHttpxTransport()


class AsyncClient(AsyncFilesAndTuning, _ClientBase):
    """The async twin of ``Client`` (same arguments; ``sleep`` defaults to ``asyncio.sleep``).

    The default transport is ``AsyncHttpxTransport`` when httpx is installed,
    else ``AsyncUrllibTransport`` (the standard library in worker threads).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        endpoint: Endpoint | None = None,
        base_url: str | None = None,
        transport: AsyncTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        super().__init__(api_key, endpoint, base_url, retry, timeout)
        self.transport = transport if transport is not None else _default_async_transport()
        if sleep is None:
            # Imported here, not at the top: asyncio (with ssl, socket, subprocess)
            # costs more than the rest of the client's import.
            import asyncio

            sleep = asyncio.sleep
        self._sleep = sleep

    async def _drive(self, flow: Flow[T]) -> T:
        """Run a flow to its end with the async transport."""
        try:
            step = next(flow)
            while True:
                if isinstance(step, Wait):
                    await self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                forms = self._secret_forms(step)
                try:
                    response = await self.transport.send(step, timeout=self.timeout)
                except TransportError as error:
                    step = flow.throw(scrub_transport_error(error, forms))
                else:
                    step = flow.send(scrub_response(response, forms))
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def _execute(self, request: HttpRequest) -> HttpResponse:
        """Send one request with retry; the last response, whatever its status."""
        return await self._drive(with_retry(self.retry, request))

    async def _open(self, request: HttpRequest) -> AsyncStreamingResponse | HttpResponse:
        """Open a stream with retry: the open stream on success, else the final error response."""
        flow = with_retry(self.retry, request)
        opened: AsyncStreamingResponse | None = None
        try:
            step = next(flow)
            while True:
                if isinstance(step, Wait):
                    await self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                forms = self._secret_forms(step)
                try:
                    streaming = await aopen_stream(self.transport, step, timeout=self.timeout)
                    if streaming.is_success:
                        opened, summary = (
                            streaming,
                            HttpResponse(streaming.status, streaming.headers),
                        )
                    else:
                        summary = scrub_response(await streaming.to_response(), forms)
                except TransportError as error:
                    step = flow.throw(scrub_transport_error(error, forms))
                else:
                    step = flow.send(summary)
        except StopIteration as stop:
            final: HttpResponse = stop.value
            return opened if final.is_success and opened is not None else final

    async def generate(self, model: str, contents: Any, **config: Any) -> GenerateContentResponse:
        """``generateContent`` (see ``Client.generate``)."""
        request = self._generate_request(model, contents, config)
        return parse_generate_content(await self._execute(request))

    def stream(
        self, model: str, contents: Any, **config: Any
    ) -> AsyncIterator[GenerateContentResponse]:
        """``streamGenerateContent`` as an async iterator (see ``Client.stream``)."""
        return self._stream_chunks(self._stream_request(model, contents, config))

    async def _stream_chunks(self, request: HttpRequest) -> AsyncIterator[GenerateContentResponse]:
        opened = await self._open(request)
        if isinstance(opened, HttpResponse):
            raise api_error_from_response(opened)
        parser = _stream_parser(opened.status)
        async with opened:
            async for data in opened:
                for chunk in parser.feed(data):
                    yield chunk
            for chunk in parser.close():
                yield chunk

    async def count_tokens(self, model: str, contents: Any, **config: Any) -> CountTokensResponse:
        """``countTokens`` (see ``Client.count_tokens``)."""
        return parse_count_tokens(await self._execute(self._count_request(model, contents, config)))

    async def fetch_image(
        self,
        url: str,
        *,
        mime_type: str | None = None,
        apply_orientation: bool | None = None,
        max_bytes: int = MAX_FETCH_BYTES,
    ) -> ImagePart:
        """An image from ``url`` (see ``Client.fetch_image``)."""
        _check_fetch(url, mime_type, max_bytes)
        opened = await self._open(build_image_fetch(url))
        if isinstance(opened, HttpResponse):
            response = opened
        else:
            async with opened:
                body: list[bytes] = []
                size = 0
                async for chunk in opened:
                    body.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        break
            response = HttpResponse(opened.status, opened.headers, _capped(body, max_bytes))
        return parse_image_fetch(
            response,
            url=url,
            mime_type=mime_type,
            apply_orientation=apply_orientation,
            max_bytes=max_bytes,
        )

    async def aclose(self) -> None:
        """Close the transport if it can be closed."""
        close = getattr(self.transport, "aclose", None)
        if callable(close):
            await close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
