"""The Files API and tuned-model methods of ``Client`` and ``AsyncClient`` (X3, F1-F2, T1-T5).

Part of the client layer: composition only. Each method builds its request or
flow with the sans-I/O core (``api.files``, ``api.tuned_models``, the upload
machine, the pollers, the pager) and hands it to the client's driver
(``_drive`` for flows, ``_execute`` for one request with retry), which does
the sending and the waiting. The only I/O of its own is reading the user's
file for an upload, chunk by chunk, at the offsets the upload machine asks
for.

>>> from gemini_vision.client import Client
>>> hasattr(Client, "upload_file") and hasattr(Client, "wait_for_operation")
True
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

# The Files and tuned-model API modules load on a method's first call, not with
# the client: `from gemini_vision.client import Client` pays only for generate
# (issue 15: the client's import under 60 ms).
from gemini_vision.api.upload import (
    DEFAULT_CHUNK_SIZE,
    ByteSource,
    BytesSource,
    ProgressCallback,
    SourceChangedError,
)
from gemini_vision.errors import LocalError
from gemini_vision.wire.files import File

if TYPE_CHECKING:
    from gemini_vision.api.endpoints import Endpoint
    from gemini_vision.api.flow import Flow
    from gemini_vision.api.operations import Operation, TuningProgress
    from gemini_vision.api.pagination import Page, Pager
    from gemini_vision.api.retry import RetryPolicy
    from gemini_vision.wire.http import HttpRequest, HttpResponse
    from gemini_vision.wire.tuned import TunedModel

__all__ = ["AsyncFilesAndTuning", "FileSource", "FilesAndTuning", "open_source"]

T = TypeVar("T")


class FileSource:
    """A ``ByteSource`` over a seekable binary file (read at the offsets asked for).

    >>> import io
    >>> FileSource(io.BytesIO(b"abcdef")).read_at(1, 3)
    b'bcd'
    """

    def __init__(self, handle: IO[bytes]) -> None:
        if isinstance(handle, io.TextIOBase) or "b" not in getattr(handle, "mode", "b"):
            raise LocalError(
                "file: is open in text mode; open it with 'rb' (the upload sends bytes)"
            )
        if not handle.seekable():
            raise LocalError("file: must be seekable (an upload may resume from any offset)")
        self._handle = handle
        self._start = handle.tell()
        self._size = handle.seek(0, os.SEEK_END) - self._start
        handle.seek(self._start)
        if not isinstance(handle.read(0), bytes):
            raise LocalError("file: reads text, not bytes; open it with 'rb'")

    @property
    def size(self) -> int:
        """Bytes from where the file object was positioned to its end."""
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset``.

        Raises:
            SourceChangedError: the file is not the size it had when the upload
                started (the upload flow then cancels the session).
        """
        now = self._handle.seek(0, os.SEEK_END) - self._start
        if now != self._size:
            raise SourceChangedError(
                f"file: changed size during the upload ({self._size} -> {now} bytes); "
                "the upload session was cancelled"
            )
        self._handle.seek(self._start + offset)
        parts = []
        while length > 0:
            data = self._handle.read(length)
            if not data:
                break
            parts.append(data)
            length -= len(data)
        return b"".join(parts)


def _guess_mime_type(head: bytes, name: str | None) -> str:
    from gemini_vision.images.sniff import sniff_mime_type

    try:
        return sniff_mime_type(head)
    except LocalError:
        pass
    import mimetypes  # reads the system's type tables: only when sniffing fails

    guessed = mimetypes.guess_type(name)[0] if name else None
    if guessed is None:
        raise LocalError(
            "mime_type: could not tell the file's type from its bytes or name; pass mime_type="
        )
    return guessed


def open_source(
    file: Any, mime_type: str | None, display_name: str | None
) -> tuple[ByteSource, str, str | None, Callable[[], None]]:
    """The byte source, MIME type, display name and closer for an upload input.

    ``file`` is bytes, a path, or a seekable binary file object. The type is
    sniffed from the first bytes (images) or guessed from the name.

    >>> source, mime, name, close = open_source(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8), None, "x")
    >>> source.size, mime, name
    (16, 'image/png', 'x')
    """
    if isinstance(file, (bytes, bytearray, memoryview)):
        source: ByteSource = BytesSource(bytes(file))
        name = None
        close: Callable[[], None] = lambda: None  # noqa: E731
    elif isinstance(file, (str, os.PathLike)):
        handle = open(file, "rb")  # noqa: SIM115 - closed by the returned closer
        source, name, close = FileSource(handle), os.path.basename(os.fspath(file)), handle.close
    elif hasattr(file, "read") and hasattr(file, "seek"):
        source, name, close = FileSource(file), getattr(file, "name", None), lambda: None
        name = os.path.basename(name) if isinstance(name, str) else None
    else:
        raise LocalError(
            f"file: expected bytes, a path or a binary file object, got {type(file).__name__}"
        )
    try:
        if mime_type is not None and (not isinstance(mime_type, str) or "/" not in mime_type):
            raise LocalError(f"mime_type: must be a media type like 'image/png', got {mime_type!r}")
        if display_name is not None and not isinstance(display_name, str):
            raise LocalError(f"display_name: must be a string, got {type(display_name).__name__}")
        if source.size < 1:
            raise LocalError("file: is empty (0 bytes); the Files API stores no empty files")
        if mime_type is None:
            mime_type = _guess_mime_type(source.read_at(0, 64), name)
    except BaseException:
        close()
        raise
    return source, mime_type, display_name if display_name is not None else name, close


def _patched(
    model: TunedModel | str, changes: dict[str, Any]
) -> tuple[TunedModel, tuple[str, ...]]:
    """The model to send and the mask implied by keyword changes."""
    from gemini_vision.api.tuned_models import PATCHABLE_FIELDS
    from gemini_vision.wire.tuned import TunedModel

    unknown = sorted(set(changes) - set(PATCHABLE_FIELDS))
    if unknown:
        raise LocalError(
            f"patch: {', '.join(unknown)} cannot be patched; patchable: "
            f"{', '.join(PATCHABLE_FIELDS)}"
        )
    if isinstance(model, str):
        model = TunedModel(name=model)
    elif not isinstance(model, TunedModel):
        raise LocalError(
            "model: must be a TunedModel or its name ('tunedModels/{id}'), got "
            f"{type(model).__name__}"
        )
    updated = model.replace(**changes)
    return updated, tuple(PATCHABLE_FIELDS[key] for key in changes)


class _Call(NamedTuple, Generic[T]):
    """One request and the parser of its answer: what a one-request method sends."""

    request: HttpRequest
    parse: Callable[[HttpResponse], T]


class _FilesAndTuningBase:
    """What the sync and async mixins share: every request and flow, built once.

    Each method of the mixins below is a line that sends what one of these
    builds; the API modules load here, on the first call that needs them.
    """

    if TYPE_CHECKING:
        endpoint: Endpoint
        retry: RetryPolicy

    @contextlib.contextmanager
    def _upload(
        self,
        file: Any,
        mime_type: str | None,
        display_name: str | None,
        chunk_size: int,
        on_progress: ProgressCallback | None,
        should_cancel: Callable[[], bool] | None,
    ) -> Iterator[Flow[File]]:
        """The upload flow over ``file``, which stays open while the flow runs."""
        from gemini_vision.api.files import start_upload, upload_flow

        for label, hook in (("on_progress", on_progress), ("should_cancel", should_cancel)):
            if hook is not None and not callable(hook):
                raise LocalError(f"{label}: must be a callable, got {type(hook).__name__}")
        source, mime, name, close = open_source(file, mime_type, display_name)
        try:
            machine = start_upload(
                self.endpoint, source, mime_type=mime, display_name=name,
                chunk_size=chunk_size, on_progress=on_progress,
                # One budget: max_attempts requests in a row without progress.
                max_interruptions=self.retry.max_attempts - 1, backoff=self.retry.backoff,
            )  # fmt: skip
            yield upload_flow(machine, self.retry, should_cancel=should_cancel)
        finally:
            close()

    @staticmethod
    def _check_wait(timeout: object, poll_interval: object) -> None:
        for label, value, optional in (
            ("timeout", timeout, True),
            ("poll_interval", poll_interval, False),
        ):
            if value is None and optional:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                allowed = " or None" if optional else ""
                raise LocalError(
                    f"{label}: must be a number of seconds, at least 0{allowed}, got {value!r}"
                )

    def _file_wait(
        self,
        file: str | File,
        timeout: float | None,
        poll_interval: float,
        on_update: Callable[[File], None] | None,
    ) -> Flow[File]:
        from gemini_vision.api.files import file_poller
        from gemini_vision.api.polling import poll_flow

        self._check_wait(timeout, poll_interval)
        poller = file_poller(
            self.endpoint, file, initial_delay=poll_interval, timeout=timeout, on_update=on_update
        )
        return poll_flow(poller, self.retry)

    def _get_file(self, name: str | File) -> _Call[File]:
        from gemini_vision.api.files import build_get_file, parse_file

        return _Call(build_get_file(self.endpoint, name), parse_file)

    def _files_pager(self, page_size: int | None, page_token: str | None) -> Pager[File]:
        from gemini_vision.api.files import files_pager

        return files_pager(self.endpoint, page_size=page_size, page_token=page_token)

    def _list_files_page(self, page_size: int | None, page_token: str | None) -> _Call[Page[File]]:
        from gemini_vision.api.files import build_list_files, parse_list_files

        request = build_list_files(self.endpoint, page_size=page_size, page_token=page_token)
        return _Call(request, parse_list_files)

    def _delete_file(self, name: str | File) -> _Call[None]:
        from gemini_vision.api.files import build_delete_file
        from gemini_vision.api.resources import parse_delete

        return _Call(build_delete_file(self.endpoint, name), parse_delete)

    def _create_tuned_model(self, model: TunedModel, tuned_model_id: str | None) -> Flow[Operation]:
        from gemini_vision.api.tuned_create import create_tuned_model_flow

        return create_tuned_model_flow(self.endpoint, model, tuned_model_id, self.retry)

    def _get_tuned_model(self, name: str) -> _Call[TunedModel]:
        from gemini_vision.api.tuned_models import build_get_tuned_model, parse_tuned_model

        return _Call(build_get_tuned_model(self.endpoint, name), parse_tuned_model)

    def _tuned_models_pager(
        self, page_size: int | None, filter: str | None, page_token: str | None
    ) -> Pager[TunedModel]:
        from gemini_vision.api.tuned_models import tuned_models_pager

        return tuned_models_pager(
            self.endpoint, page_size=page_size, filter=filter, page_token=page_token
        )

    def _list_tuned_models_page(
        self, page_size: int | None, filter: str | None, page_token: str | None
    ) -> _Call[Page[TunedModel]]:
        from gemini_vision.api.tuned_models import build_list_tuned_models, parse_list_tuned_models

        request = build_list_tuned_models(
            self.endpoint, page_size=page_size, filter=filter, page_token=page_token
        )
        return _Call(request, parse_list_tuned_models)

    def _patch_tuned_model(
        self,
        model: TunedModel | str,
        original: TunedModel | None,
        update_mask: str | list[str] | None,
        changes: dict[str, Any],
    ) -> _Call[TunedModel]:
        from gemini_vision.api.tuned_models import build_patch_tuned_model, parse_tuned_model

        updated, implied = _patched(model, changes)
        mask = update_mask if update_mask is not None else (implied or None)
        request = build_patch_tuned_model(
            self.endpoint, updated, update_mask=mask, original=original
        )
        return _Call(request, parse_tuned_model)

    def _delete_tuned_model(self, name: str) -> _Call[None]:
        from gemini_vision.api.resources import parse_delete
        from gemini_vision.api.tuned_models import build_delete_tuned_model

        return _Call(build_delete_tuned_model(self.endpoint, name), parse_delete)

    def _get_operation(self, name: str) -> _Call[Operation]:
        from gemini_vision.api.operations import parse_operation
        from gemini_vision.api.tuned_models import build_get_operation

        return _Call(build_get_operation(self.endpoint, name), parse_operation)

    def _operation_wait(
        self,
        operation: Operation | str,
        timeout: float | None,
        poll_interval: float,
        on_progress: Callable[[TuningProgress], None] | None,
    ) -> Flow[TunedModel]:
        from gemini_vision.api.operations import Operation, operation_poller
        from gemini_vision.api.polling import poll_flow
        from gemini_vision.api.tuned_models import build_get_operation

        self._check_wait(timeout, poll_interval)
        if isinstance(operation, str):
            operation = Operation(operation)
        request = build_get_operation(self.endpoint, operation.name)
        poller = operation_poller(
            operation, request, on_progress=on_progress, initial_delay=poll_interval,
            timeout=timeout,
        )  # fmt: skip
        return poll_flow(poller, self.retry)


class FilesAndTuning(_FilesAndTuningBase):
    """The Files API and tuned-model methods of ``Client`` (a mixin).

    >>> from gemini_vision.client import Client
    >>> from gemini_vision.testing import Emulator
    >>> with Emulator() as emulator:
    ...     client = Client(api_key=emulator.api_key, base_url=emulator.base_url)
    ...     uploaded = client.upload_file(b"%PDF-1.4 notes", mime_type="application/pdf")
    ...     active = client.wait_for_file(uploaded, poll_interval=0.01)
    ...     [f.name == active.name for f in client.list_files()]
    [True]
    """

    if TYPE_CHECKING:

        def _drive(self, flow: Flow[T]) -> T: ...
        def _execute(self, request: HttpRequest) -> HttpResponse: ...

    def _send(self, call: _Call[T]) -> T:
        return call.parse(self._execute(call.request))

    def _pages(self, pager: Pager[T]) -> Iterator[T]:
        while (request := pager.next_request()) is not None:
            yield from pager.receive_response(self._execute(request))

    # --- files --------------------------------------------------------------------

    def upload_file(
        self,
        file: Any,
        *,
        mime_type: str | None = None,
        display_name: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> File:
        """Upload ``file`` (bytes, path or binary file) with the resumable protocol.

        Interruptions are resumed from the server's offset; the ``File`` the
        server answers is returned (it may still be ``PROCESSING``: see
        ``wait_for_file``). ``on_progress(acknowledged, total)`` follows the
        bytes the server confirmed; ``should_cancel()`` true cancels the session.
        """
        with self._upload(
            file, mime_type, display_name, chunk_size, on_progress, should_cancel
        ) as flow:
            return self._drive(flow)

    def get_file(self, name: str | File) -> File:
        """``files.get``."""
        return self._send(self._get_file(name))

    def list_files(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> Iterator[File]:
        """Every file, page after page (requests are sent as the iterator advances).

        ``page_size`` 0 or None: the server's default; ``page_token``: start at
        that page (from ``list_files_page``).
        """
        return self._pages(self._files_pager(page_size, page_token))

    def list_files_page(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[File]:
        """One page of ``files.list``: its files and the ``next_page_token`` (None: last)."""
        return self._send(self._list_files_page(page_size, page_token))

    def delete_file(self, name: str | File) -> None:
        """``files.delete``."""
        self._send(self._delete_file(name))

    def wait_for_file(
        self,
        file: str | File,
        *,
        timeout: float | None = 600.0,
        poll_interval: float = 1.0,
        on_update: Callable[[File], None] | None = None,
    ) -> File:
        """Poll until the file is ``ACTIVE``; a ``FAILED`` file raises its error."""
        return self._drive(self._file_wait(file, timeout, poll_interval, on_update))

    # --- tuned models ---------------------------------------------------------------

    def create_tuned_model(
        self, model: TunedModel, *, tuned_model_id: str | None = None
    ) -> Operation:
        """``tunedModels.create``: the Operation to wait for. Never re-sent without an id.

        With an id the create is retried; if an earlier attempt's answer was
        lost and the retry is answered ``ALREADY_EXISTS``, the model that
        attempt created is looked up and its operation returned (see
        ``api.tuned_create``), so a model that is tuning is never reported as
        a failure.
        """
        return self._drive(self._create_tuned_model(model, tuned_model_id))

    def get_tuned_model(self, name: str) -> TunedModel:
        """``tunedModels.get``."""
        return self._send(self._get_tuned_model(name))

    def list_tuned_models(
        self,
        *,
        page_size: int | None = None,
        filter: str | None = None,
        page_token: str | None = None,
    ) -> Iterator[TunedModel]:
        """Every tuned model the filter selects, page after page (from ``page_token`` on)."""
        return self._pages(self._tuned_models_pager(page_size, filter, page_token))

    def list_tuned_models_page(
        self,
        *,
        page_size: int | None = None,
        filter: str | None = None,
        page_token: str | None = None,
    ) -> Page[TunedModel]:
        """One page of ``tunedModels.list`` and its ``next_page_token`` (None: the last)."""
        return self._send(self._list_tuned_models_page(page_size, filter, page_token))

    def patch_tuned_model(
        self,
        model: TunedModel | str,
        *,
        original: TunedModel | None = None,
        update_mask: str | list[str] | None = None,
        **changes: Any,
    ) -> TunedModel:
        """``tunedModels.patch``; the mask is the changed fields unless given.

        ``patch_tuned_model("tunedModels/m", display_name="New")`` changes one
        field; ``patch_tuned_model(edited, original=before)`` sends what differs.
        """
        return self._send(self._patch_tuned_model(model, original, update_mask, changes))

    def delete_tuned_model(self, name: str) -> None:
        """``tunedModels.delete``."""
        self._send(self._delete_tuned_model(name))

    def get_operation(self, name: str) -> Operation:
        """``tunedModels.operations.get``."""
        return self._send(self._get_operation(name))

    def wait_for_operation(
        self,
        operation: Operation | str,
        *,
        timeout: float | None = 3600.0,
        poll_interval: float = 1.0,
        on_progress: Callable[[TuningProgress], None] | None = None,
    ) -> TunedModel:
        """Poll the operation until done; return the tuned model or raise its error."""
        flow = self._operation_wait(operation, timeout, poll_interval, on_progress)
        return self._drive(flow)


class AsyncFilesAndTuning(_FilesAndTuningBase):
    """The async twins of ``FilesAndTuning`` (a mixin of ``AsyncClient``)."""

    if TYPE_CHECKING:

        async def _drive(self, flow: Flow[T]) -> T: ...
        async def _execute(self, request: HttpRequest) -> HttpResponse: ...

    async def _send(self, call: _Call[T]) -> T:
        return call.parse(await self._execute(call.request))

    async def _pages(self, pager: Pager[T]) -> AsyncIterator[T]:
        while (request := pager.next_request()) is not None:
            for item in pager.receive_response(await self._execute(request)):
                yield item

    async def upload_file(
        self,
        file: Any,
        *,
        mime_type: str | None = None,
        display_name: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> File:
        """See ``Client.upload_file``."""
        with self._upload(
            file, mime_type, display_name, chunk_size, on_progress, should_cancel
        ) as flow:
            return await self._drive(flow)

    async def get_file(self, name: str | File) -> File:
        """``files.get``."""
        return await self._send(self._get_file(name))

    def list_files(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> AsyncIterator[File]:
        """Every file, page after page."""
        return self._pages(self._files_pager(page_size, page_token))

    async def list_files_page(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[File]:
        """See ``Client.list_files_page``."""
        return await self._send(self._list_files_page(page_size, page_token))

    async def delete_file(self, name: str | File) -> None:
        """``files.delete``."""
        await self._send(self._delete_file(name))

    async def wait_for_file(
        self,
        file: str | File,
        *,
        timeout: float | None = 600.0,
        poll_interval: float = 1.0,
        on_update: Callable[[File], None] | None = None,
    ) -> File:
        """See ``Client.wait_for_file``."""
        return await self._drive(self._file_wait(file, timeout, poll_interval, on_update))

    async def create_tuned_model(
        self, model: TunedModel, *, tuned_model_id: str | None = None
    ) -> Operation:
        """See ``Client.create_tuned_model``."""
        return await self._drive(self._create_tuned_model(model, tuned_model_id))

    async def get_tuned_model(self, name: str) -> TunedModel:
        """``tunedModels.get``."""
        return await self._send(self._get_tuned_model(name))

    def list_tuned_models(
        self,
        *,
        page_size: int | None = None,
        filter: str | None = None,
        page_token: str | None = None,
    ) -> AsyncIterator[TunedModel]:
        """Every tuned model the filter selects, page after page."""
        return self._pages(self._tuned_models_pager(page_size, filter, page_token))

    async def list_tuned_models_page(
        self,
        *,
        page_size: int | None = None,
        filter: str | None = None,
        page_token: str | None = None,
    ) -> Page[TunedModel]:
        """See ``Client.list_tuned_models_page``."""
        return await self._send(self._list_tuned_models_page(page_size, filter, page_token))

    async def patch_tuned_model(
        self,
        model: TunedModel | str,
        *,
        original: TunedModel | None = None,
        update_mask: str | list[str] | None = None,
        **changes: Any,
    ) -> TunedModel:
        """See ``Client.patch_tuned_model``."""
        return await self._send(self._patch_tuned_model(model, original, update_mask, changes))

    async def delete_tuned_model(self, name: str) -> None:
        """``tunedModels.delete``."""
        await self._send(self._delete_tuned_model(name))

    async def get_operation(self, name: str) -> Operation:
        """``tunedModels.operations.get``."""
        return await self._send(self._get_operation(name))

    async def wait_for_operation(
        self,
        operation: Operation | str,
        *,
        timeout: float | None = 3600.0,
        poll_interval: float = 1.0,
        on_progress: Callable[[TuningProgress], None] | None = None,
    ) -> TunedModel:
        """See ``Client.wait_for_operation``."""
        flow = self._operation_wait(operation, timeout, poll_interval, on_progress)
        return await self._drive(flow)
