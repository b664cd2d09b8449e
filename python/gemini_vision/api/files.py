"""Builders and parsers for the Files API (F2): upload, get, list, delete, wait.

``start_upload`` makes the ``ResumableUpload`` machine for an endpoint (the
upload URL and the credentials come from the endpoint; the credentials are
asked for again for every request, so an expiring token is refreshed).
``upload_flow`` runs the machine as a flow the clients drive. ``file_poller``
waits for a ``PROCESSING`` file to become ``ACTIVE`` and
raises the file's error when it ends ``FAILED``.

>>> from gemini_vision.api.endpoints import GeminiApi
>>> build_get_file(GeminiApi("k"), "abc-123").url
'https://generativelanguage.googleapis.com/v1beta/files/abc-123'
>>> build_list_files(GeminiApi("k"), page_size=5).url
'https://generativelanguage.googleapis.com/v1beta/files?pageSize=5'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gemini_vision.api.endpoints import Endpoint, json_request
from gemini_vision.api.flow import Flow, Wait
from gemini_vision.api.pagination import (
    Page,
    Pager,
    check_page_size,
    check_page_token,
    parse_page,
)
from gemini_vision.api.polling import Poller
from gemini_vision.api.resources import parse_delete, parse_resource, require_gemini_api
from gemini_vision.api.retry import RetryPolicy
from gemini_vision.api.upload import (
    DEFAULT_CHUNK_SIZE,
    ByteSource,
    Finished,
    ProgressCallback,
    ResumableUpload,
    SourceChangedError,
    UploadCancelledError,
)
from gemini_vision.errors import LocalError, TransportError
from gemini_vision.wire.files import File, FileState
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.status import Status

__all__ = [
    "MAX_FILES_PAGE_SIZE",
    "build_delete_file",
    "build_get_file",
    "build_list_files",
    "file_name",
    "file_poller",
    "files_pager",
    "parse_delete",
    "parse_file",
    "parse_list_files",
    "start_upload",
    "upload_flow",
]

MAX_FILES_PAGE_SIZE = 100
_NAME = re.compile(r"(?:files/)?([a-z0-9][a-z0-9-]{0,39})")


def file_name(name: str | File) -> str:
    """``files/{id}`` from an id, a full name or a ``File``.

    >>> file_name("abc"), file_name("files/abc")
    ('files/abc', 'files/abc')
    """
    if isinstance(name, File):
        name = name.name
    match = _NAME.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        raise LocalError(f"name: must be 'files/{{id}}' or an id, got {name!r}")
    return f"files/{match.group(1)}"


def start_upload(
    endpoint: Endpoint,
    source: ByteSource,
    *,
    mime_type: str,
    display_name: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: ProgressCallback | None = None,
    max_interruptions: int = 8,
    backoff: Callable[[int], float] | None = None,
) -> ResumableUpload:
    """The resumable-upload machine for ``source`` at ``endpoint``.

    >>> from gemini_vision.api.endpoints import GeminiApi
    >>> from gemini_vision.api.upload import BytesSource
    >>> up = start_upload(GeminiApi("k"), BytesSource(b"x"), mime_type="image/png")
    >>> up.next_step().request.url
    'https://generativelanguage.googleapis.com/upload/v1beta/files'
    """
    if not isinstance(mime_type, str) or "/" not in mime_type:
        raise LocalError(f"mime_type: must be a media type like 'image/png', got {mime_type!r}")
    return ResumableUpload(
        source,
        start_url=require_gemini_api(endpoint, "the Files API").url("upload/files"),
        mime_type=mime_type,
        display_name=display_name,
        headers=endpoint.auth_headers,
        chunk_size=chunk_size,
        on_progress=on_progress,
        max_interruptions=max_interruptions,
        backoff=backoff,
    )


def build_get_file(endpoint: Endpoint, name: str | File) -> HttpRequest:
    """``GET files/{id}``."""
    url = require_gemini_api(endpoint, "the Files API").url(file_name(name))
    return json_request(endpoint, "GET", url)


def parse_file(response: HttpResponse) -> File:
    """A ``File`` answer; error statuses raise their ``ApiError``."""
    return parse_resource(response, File, "a File")


def build_list_files(
    endpoint: Endpoint, *, page_size: int | None = None, page_token: str | None = None
) -> HttpRequest:
    """``GET files`` (at most 100 per page; 0 or None: the server's default)."""
    query: dict[str, Any] = {
        "pageSize": check_page_size(page_size, MAX_FILES_PAGE_SIZE),
        "pageToken": check_page_token(page_token),
    }
    url = require_gemini_api(endpoint, "the Files API").url("files", query)
    return json_request(endpoint, "GET", url)


def parse_list_files(response: HttpResponse) -> Page[File]:
    """One page of ``files.list``."""
    return parse_page(response, "files", File)


def files_pager(
    endpoint: Endpoint, *, page_size: int | None = None, page_token: str | None = None
) -> Pager[File]:
    """A ``Pager`` over every file (from ``page_token``'s page on, when given)."""
    first = build_list_files(endpoint, page_size=page_size, page_token=page_token)
    return Pager(first, parse=parse_list_files)


def build_delete_file(endpoint: Endpoint, name: str | File) -> HttpRequest:
    """``DELETE files/{id}`` (answers ``{}``)."""
    url = require_gemini_api(endpoint, "the Files API").url(file_name(name))
    return json_request(endpoint, "DELETE", url)


def _file_ready(file: File) -> File | None:
    if file.state is FileState.FAILED:
        status = file.error
        if status is None:
            status = Status(13, "processing failed")
        raise status.to_error(f"{file.name} failed processing")
    return file if file.state is FileState.ACTIVE else None


def file_poller(
    endpoint: Endpoint,
    file: File | str,
    *,
    initial_delay: float = 1.0,
    multiplier: float = 1.5,
    max_delay: float = 10.0,
    timeout: float | None = None,
    on_update: Callable[[File], None] | None = None,
) -> Poller[File, File]:
    """A ``Poller`` that waits until the file is ``ACTIVE`` (raises if it ends ``FAILED``).

    >>> from gemini_vision.api.endpoints import GeminiApi
    >>> poller = file_poller(GeminiApi(), File("files/a", state=FileState.ACTIVE))
    >>> poller.next_step().value.name
    'files/a'
    """
    initial = file if isinstance(file, File) else None
    return Poller(
        build_get_file(endpoint, file),
        parse=parse_file,
        check=_file_ready,
        initial=initial,
        initial_delay=initial_delay,
        multiplier=multiplier,
        max_delay=max_delay,
        timeout=timeout,
        on_update=on_update,
        what=file_name(file),
    )


def upload_flow(
    machine: ResumableUpload,
    policy: RetryPolicy,
    *,
    should_cancel: Callable[[], bool] | None = None,
) -> Flow[File]:
    """Run ``machine`` as a flow the clients drive (see ``gemini_vision.api.flow``).

    One retry budget for the whole upload (no retries inside retries): every
    request is sent once and its failure left to the machine, whose
    interruptions in a row without progress are the budget
    (``max_interruptions``, ``policy.max_attempts - 1`` from the clients) and
    whose waits are the policy's backoff or the server's hint. A hint longer
    than ``policy.max_delay`` stops the upload with its error instead of
    waiting. So under persistent failures an upload makes at most
    ``max_attempts`` requests in a row without progress and waits at most
    ``(max_attempts - 1) * max_delay`` seconds between them.
    ``should_cancel`` is asked before each request; when it says yes the session
    is cancelled and ``UploadCancelledError`` raised.

    >>> from gemini_vision.api.flow import run_to_end
    >>> from gemini_vision.api.retry import RetryPolicy
    >>> from gemini_vision.wire.http import HttpResponse
    >>> from gemini_vision.api.upload import BytesSource, ResumableUpload
    >>> up = ResumableUpload(BytesSource(b"hi"), start_url="https://h/upload/v1beta/files",
    ...                      mime_type="text/plain")
    >>> flow = upload_flow(up, RetryPolicy())
    >>> next(flow).headers["x-goog-upload-command"]
    'start'
    >>> flow.send(HttpResponse(200, {"x-goog-upload-url": "https://h/u"})).body
    b'hi'
    >>> run_to_end(flow, HttpResponse(200, {"x-goog-upload-status": "final"},
    ...                               b'{"file": {"name": "files/1"}}')).name
    'files/1'
    """
    changed: SourceChangedError | None = None
    while True:
        if should_cancel is not None and should_cancel():
            machine.cancel()
        try:
            step = machine.next_step()
        except SourceChangedError as error:
            if changed is not None:
                raise
            # The file changed under us: close the session on the server, then say why.
            changed = error
            machine.cancel()
            step = machine.next_step()
        if isinstance(step, Finished):
            if changed is not None:
                raise changed
            if step.file is None:
                raise UploadCancelledError("the upload was cancelled; no file was made")
            return step.file
        if step.delay > policy.max_delay and machine.last_error is not None:
            # The server asks for a longer wait than the policy allows: surface it.
            raise machine.last_error
        if step.delay > 0:
            yield Wait(step.delay, "resuming the upload")
        request = step.request
        try:
            sent = yield request
            if sent is None:
                raise TypeError("a flow that yielded a request must be sent its response")
            response = sent
        except TransportError as error:
            machine.receive_error(error)
            continue
        machine.receive_response(response)
