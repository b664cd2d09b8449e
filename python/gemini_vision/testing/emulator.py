"""``Emulator``: a local Gemini API server for tests (E1–E3), standard library only.

It listens on 127.0.0.1 (port 0 picks a free one) in a background thread and
speaks the wire surface this library uses: ``generateContent`` and
``streamGenerateContent`` with scripted answers, ``countTokens``, the
resumable upload protocol and files get/list/delete, ``tunedModels``
create/get/list/patch/delete with long-running operations (and a model's
operations list), ``models`` get/list, and API-key checks answering
``google.rpc.Status`` errors. It is a drop-in test server for any Gemini client
(google-genai with ``http_options`` base URL, the guide's curl commands): the
session URL an upload start answers is the credential for the bytes, as on the
real service; a malformed body gets a 400 whose ``google.rpc.BadRequest`` names
the field (never a dropped connection); the work a request can ask for is
bounded (``testing._bodies``). ``emulator.faults`` injects failures:
errors with RetryInfo, latency, connections cut mid-body or mid-stream,
uploads that stop after K bytes. Every request is recorded (secrets redacted)
so a test can count what was sent.

>>> from gemini_vision.testing import Emulator
>>> with Emulator() as emulator:
...     emulator.script("gemini-2.5-flash", ["a cat"])
...     emulator.base_url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from gemini_vision.testing._bodies import check_count_tokens, check_generate
from gemini_vision.testing._faults import Faults
from gemini_vision.testing._files import FileStore
from gemini_vision.testing._generate import (
    MODEL_CATALOG,
    Answer,
    ImageTokens,
    Scripts,
    count_tokens,
    response_chunks,
    rule_image_tokens,
    whole_response,
)
from gemini_vision.testing._paging import paginate
from gemini_vision.testing._protocol import ApiFailure, Incoming, Streamed, json_response
from gemini_vision.testing._server import EmulatorServer, RecordedRequest
from gemini_vision.testing._tuning import Roles, TuningStore
from gemini_vision.wire.http import Headers, HttpResponse
from gemini_vision.wire.tuned import TunedModel

__all__ = ["Emulator", "RecordedRequest"]

_VERSION = r"(?P<v>v1beta|v1alpha|v1)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), name)
    for m, p, name in [
        ("POST", rf"/upload/{_VERSION}/files", "upload"),
        ("PUT", rf"/upload/{_VERSION}/files", "upload"),
        ("GET", rf"/{_VERSION}/files", "files.list"),
        ("GET", rf"/{_VERSION}/(?P<name>files/[^/:]+)", "files.get"),
        ("DELETE", rf"/{_VERSION}/(?P<name>files/[^/:]+)", "files.delete"),
        ("POST", rf"/{_VERSION}/tunedModels", "tuned.create"),
        ("GET", rf"/{_VERSION}/tunedModels", "tuned.list"),
        ("GET", rf"/{_VERSION}/(?P<name>tunedModels/[^/:]+/operations/[^/:]+)", "operations.get"),
        ("GET", rf"/{_VERSION}/(?P<name>tunedModels/[^/:]+)/operations", "operations.list"),
        ("GET", rf"/{_VERSION}/(?P<name>tunedModels/[^/:]+)", "tuned.get"),
        ("PATCH", rf"/{_VERSION}/(?P<name>tunedModels/[^/:]+)", "tuned.patch"),
        ("DELETE", rf"/{_VERSION}/(?P<name>tunedModels/[^/:]+)", "tuned.delete"),
        ("GET", rf"/{_VERSION}/models", "models.list"),
        ("GET", rf"/{_VERSION}/(?P<name>models/[^/:]+)", "models.get"),
        ("POST", rf"/{_VERSION}/(?P<name>(?:models|tunedModels)/[^/:]+):(?P<method>\w+)", "model"),
    ]
]


class Emulator:
    """A Gemini API emulator on a loopback port; use it as a context manager.

    Args:
        port: the port to listen on (0: any free port).
        api_key: the key requests must carry in ``x-goog-api-key`` (``None``: no check).
        chunk_granularity: the upload granularity the server announces and enforces.
        file_processing_polls: gets of a new file before it leaves ``PROCESSING``.
        tuning_polls: operation polls before a tuning job is done.
        stream_chunks: how many chunks a scripted text answer is streamed in.
        max_request_bytes: larger request bodies get 413.
        max_threads: at most this many connections are served at once.
        image_tokens: ``(width, height, model) -> tokens`` for ``countTokens`` (default:
            the model's rule from ``gemini_vision.tokens``).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        api_key: str | None = "emulator-key",
        chunk_granularity: int = 256 * 1024,
        file_processing_polls: int = 1,
        tuning_polls: int = 3,
        stream_chunks: int = 3,
        max_request_bytes: int = 64 << 20,
        max_threads: int = 32,
        image_tokens: ImageTokens | None = None,
    ) -> None:
        self.api_key = api_key
        self.faults = Faults()
        self.files = FileStore(granularity=chunk_granularity)
        self.files.processing_polls = file_processing_polls
        self.tuning = TuningStore()
        self.tuning.tuning_polls = tuning_polls
        self.scripts = Scripts()
        self.stream_chunks = stream_chunks
        self.image_tokens: ImageTokens = image_tokens or rule_image_tokens
        self._server = EmulatorServer(
            (host, port),
            router=self._route,
            authorize=self._authorize,
            partial_upload=self._partial_upload,
            faults=self.faults,
            max_request_bytes=max_request_bytes,
            max_threads=max_threads,
        )
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: pass it to the client as its base URL."""
        return self._server.base_url

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._server.server_address[1])

    def start(self) -> Emulator:
        """Serve in a background thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # how quickly stop() is noticed
                name="gemini-vision-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()`` is called from another one."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving, close open connections and wait for the worker threads."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests set up and inspect ------------------------------------------

    def script(self, model: str, answers: Answer | Sequence[Answer]) -> None:
        """Queue answers for ``model`` (``"gemini-2.5-flash"`` or ``"tunedModels/x"``)."""
        self.scripts.add(model, answers)  # type: ignore[arg-type]

    def add_tuned_model(
        self,
        model: TunedModel | Mapping[str, Any],
        *,
        owner_me: bool = True,
        reader_me: bool = False,
        readers_everyone: bool = False,
    ) -> str:
        """Put a ready (``ACTIVE``) tuned model in the store; returns its name."""
        data = model.to_json() if isinstance(model, TunedModel) else dict(model)
        return self.tuning.add(data, Roles(owner_me, reader_me, readers_everyone))

    def fail_next_file(self, message: str = "processing failed") -> None:
        """The next uploaded file ends in state ``FAILED``."""
        self.files.fail_next_file(message)

    def fail_next_tuning(self, message: str = "tuning failed") -> None:
        """The next tuning job fails half-way (operation error, model ``FAILED``)."""
        self.tuning.fail_next_tuning(message)

    def file_bytes(self, name: str) -> bytes:
        """The bytes the server holds for ``files/{id}``."""
        return self.files.content(name)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order."""
        with self._server.log_lock:
            return list(self._server.log)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched ``method`` and had a path starting with ``path``."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path.startswith(path))
        )

    # --- the server's callbacks ---------------------------------------------------

    def _authorize(self, request: Incoming) -> ApiFailure | None:
        if self.api_key is None:
            return None
        upload_id = request.param("upload_id")
        if request.path.startswith("/upload/") and upload_id and self.files.is_session(upload_id):
            # As on the real service, the session URL the start request answered is the
            # credential for the bytes: clients (google-genai, the guide's curl) send no key.
            return None
        key = request.headers.get("x-goog-api-key") or request.param("key")
        bearer = request.headers.get("authorization", "")
        if key is None and bearer.lower().startswith("bearer "):
            key = bearer[7:].strip()
        if key is None:
            return ApiFailure(
                401,
                "Request is missing required authentication credential. Expected an API key.",
            )
        if key != self.api_key:
            return ApiFailure(
                403,
                "API key not valid. Please pass a valid API key.",
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            )
        return None

    def _partial_upload(self, request: Incoming, data: bytes) -> None:
        upload_id = request.param("upload_id")
        offset = request.headers.get("x-goog-upload-offset", "")
        if upload_id and offset.isdigit():
            self.files.receive_partial(upload_id, int(offset), data)

    def _route(self, request: Incoming) -> HttpResponse | Streamed:
        for method, pattern, route in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if method != request.method:
                continue
            groups = match.groupdict()
            name = groups.get("name") or ""
            return self._dispatch(route, request, groups["v"], name, groups.get("method"))
        raise ApiFailure(404, f"Method not found: {request.method} {request.path}")

    def _dispatch(
        self, route: str, request: Incoming, version: str, name: str, method: str | None
    ) -> HttpResponse | Streamed:
        if route == "upload":
            upload_id = request.param("upload_id")
            if upload_id is None:
                return self.files.start(request, version)
            return self.files.command(request, upload_id)
        if route == "files.list":
            return self.files.list(request)
        if route == "files.get":
            return self.files.get(name)
        if route == "files.delete":
            return self.files.delete(name)
        if route == "tuned.create":
            return self.tuning.create(request)
        if route == "tuned.list":
            return self.tuning.list(request)
        if route == "operations.get":
            return self.tuning.get_operation(name)
        if route == "operations.list":
            return self.tuning.list_operations(request, name)
        if route == "tuned.get":
            return self.tuning.get(name)
        if route == "tuned.patch":
            return self.tuning.patch(request, name)
        if route == "tuned.delete":
            return self.tuning.delete(name)
        if route == "models.list":
            return self._models_list(request)
        if route == "models.get":
            return json_response(self._model(name, version))
        return self._model_method(request, name, method or "")

    def _model(self, name: str, version: str) -> dict[str, Any]:
        """The ``Model`` resource: the catalog's, or a generic one for a scripted model."""
        if name in MODEL_CATALOG:
            return dict(MODEL_CATALOG[name])
        if self.scripts.has(name):
            base = dict(MODEL_CATALOG["models/gemini-2.5-flash"])
            model_id = name.split("/", 1)[1]
            base.update(name=name, baseModelId=model_id, displayName=model_id)
            return base
        raise ApiFailure(
            404, f"models/{name.split('/', 1)[-1]} is not found for API version {version}."
        )

    def _models_list(self, request: Incoming) -> HttpResponse:
        names = list(MODEL_CATALOG)
        names += [n for n in self.scripts.models() if n not in MODEL_CATALOG]
        models = [self._model(n, "v1beta") for n in names if n.startswith("models/")]
        page, token = paginate(models, request.query, default_size=50, max_size=1000)
        payload: dict[str, Any] = {"models": page}
        if token:
            payload["nextPageToken"] = token
        return json_response(payload)

    def _model_method(self, request: Incoming, name: str, method: str) -> HttpResponse | Streamed:
        body = request.json()
        if method not in ("generateContent", "streamGenerateContent", "countTokens"):
            raise ApiFailure(404, f"Method not found: {name}:{method}")
        if method == "countTokens":
            check_count_tokens(body)
        else:
            check_generate(body)
        if name.startswith("tunedModels/"):
            self.tuning.require_active(name)
        if method == "countTokens":
            return json_response(count_tokens(body, name, self.image_tokens))
        prompt_tokens = int(count_tokens(body, name, self.image_tokens)["totalTokens"])
        answer = self.scripts.next(name)
        if method == "generateContent":
            return json_response(whole_response(answer, name, prompt_tokens))
        chunks = response_chunks(answer, name, prompt_tokens, self.stream_chunks)
        sse = request.param("alt") == "sse"
        if sse:
            payloads = tuple(
                b"data: " + json_response(chunk).body + b"\r\n\r\n" for chunk in chunks
            )
            headers = Headers({"Content-Type": "text/event-stream"})
        else:
            # Without alt=sse the API streams one JSON array, element by element.
            parts = [json_response(chunk).body for chunk in chunks]
            payloads = (
                *((b"[" if i == 0 else b",\r\n") + part for i, part in enumerate(parts)),
                b"]",
            )
            headers = Headers({"Content-Type": "application/json"})
        return Streamed(200, headers, payloads)
