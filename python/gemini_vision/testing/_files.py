"""The emulator's Files API: the resumable upload protocol and files get/list/delete.

Server side of the protocol ``gemini_vision.api.upload`` speaks:

- ``POST /upload/{v}/files`` with ``X-Goog-Upload-Command: start`` opens a
  session and answers its URL in ``X-Goog-Upload-URL`` (plus
  ``X-Goog-Upload-Chunk-Granularity``);
- at that URL, ``upload`` appends a chunk that must start at exactly the
  number of bytes received so far (``X-Goog-Upload-Offset``) and, unless it
  also finalizes, be a multiple of the granularity; ``finalize`` checks the
  declared length and creates the ``File``; ``query`` answers
  ``X-Goog-Upload-Status`` and ``X-Goog-Upload-Size-Received``; ``cancel`` ends
  the session.

Files start ``PROCESSING`` and become ``ACTIVE`` after ``processing_polls``
gets, or ``FAILED`` when the test asked for that.

>>> store = FileStore()
>>> store.granularity
262144
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from gemini_vision.testing._paging import paginate
from gemini_vision.testing._protocol import ApiFailure, Incoming, json_response
from gemini_vision.wire.http import HttpResponse
from gemini_vision.wire.timestamp import Timestamp

__all__ = ["FileStore", "StoredFile", "UploadSession"]

_EXPIRY_SECONDS = 48 * 3600


def _now() -> Timestamp:
    nanos = time.time_ns()
    return Timestamp(nanos // 1_000_000_000, nanos % 1_000_000_000)


@dataclass(slots=True)
class UploadSession:
    """One resumable upload: what was declared and the bytes received so far."""

    upload_id: str
    version: str
    display_name: str | None
    mime_type: str
    declared_size: int | None
    data: bytearray = field(default_factory=bytearray)
    status: str = "active"  # active | final | cancelled
    file_name: str | None = None


@dataclass(slots=True)
class StoredFile:
    """A file the emulator holds: its bytes and its resource fields."""

    name: str
    display_name: str | None
    mime_type: str
    data: bytes
    create_time: Timestamp
    uri: str
    polls_left: int
    failure: str | None = None
    state: str = "PROCESSING"

    def resource(self) -> dict[str, Any]:
        """The ``File`` JSON."""
        digest = hashlib.sha256(self.data).digest()
        out: dict[str, Any] = {
            "name": self.name,
            "mimeType": self.mime_type,
            "sizeBytes": str(len(self.data)),
            "createTime": self.create_time.to_json(),
            "updateTime": self.create_time.to_json(),
            "expirationTime": Timestamp(self.create_time.seconds + _EXPIRY_SECONDS).to_json(),
            "sha256Hash": base64.b64encode(digest).decode(),
            "uri": self.uri,
            "state": self.state,
            "source": "UPLOADED",
        }
        if self.display_name is not None:
            out["displayName"] = self.display_name
        if self.state == "FAILED":
            out["error"] = {"code": 3, "message": self.failure or "processing failed"}
        return out


def _display_name(body: Any) -> str | None:
    """The ``file.displayName`` of an upload's start body (a 400 naming the field if malformed)."""
    from gemini_vision.testing._bodies import bad_request

    if not isinstance(body, dict):
        raise bad_request("", "the request body must be a JSON object")
    meta = body.get("file", {})
    if meta is None:
        return None
    if not isinstance(meta, dict):
        raise bad_request("file", "expected an object")
    display = meta.get("displayName", meta.get("display_name"))
    if display is not None and not isinstance(display, str):
        raise bad_request("file.displayName", "expected a string")
    if display is not None and len(display) > 512:
        raise bad_request("file.displayName", "must be at most 512 characters")
    return display


class FileStore:
    """Upload sessions and files, guarded by one lock (the server is threaded)."""

    def __init__(
        self,
        *,
        granularity: int = 256 * 1024,
        max_file_bytes: int = 256 << 20,
        max_total_bytes: int = 1 << 30,
    ) -> None:
        self.granularity = granularity
        self.max_file_bytes = max_file_bytes
        self.max_total_bytes = max_total_bytes
        self.processing_polls = 1
        self.sessions: dict[str, UploadSession] = {}
        self.files: dict[str, StoredFile] = {}
        self._fail_next: list[str] = []
        self._lock = threading.Lock()

    def fail_next_file(self, message: str) -> None:
        """The next file to finish uploading ends ``FAILED`` with ``message``."""
        with self._lock:
            self._fail_next.append(message)

    # --- upload protocol ---------------------------------------------------------

    def start(self, request: Incoming, version: str) -> HttpResponse:
        """``X-Goog-Upload-Command: start``: open a session."""
        headers = request.headers
        if headers.get("x-goog-upload-protocol", "").lower() != "resumable":
            raise ApiFailure(400, "Only the resumable upload protocol is supported here.")
        if headers.get("x-goog-upload-command", "").strip().lower() != "start":
            raise ApiFailure(400, "The first request of an upload must be 'start'.")
        declared = headers.get("x-goog-upload-header-content-length")
        size: int | None = None
        if declared is not None:
            if not declared.strip().isdigit():
                raise ApiFailure(400, f"Invalid X-Goog-Upload-Header-Content-Length {declared!r}")
            size = int(declared)
            if size > self.max_file_bytes:
                raise ApiFailure(400, f"File of {size} bytes is over this emulator's limit.")
        display = _display_name(request.json())
        mime = headers.get("x-goog-upload-header-content-type") or "application/octet-stream"
        upload_id = secrets.token_urlsafe(12)
        with self._lock:
            self.sessions[upload_id] = UploadSession(upload_id, version, display, mime, size)
        query = f"upload_id={upload_id}&upload_protocol=resumable"
        url = f"{request.base_url}/upload/{version}/files?{query}"
        return HttpResponse(
            200,
            {
                "X-Goog-Upload-Status": "active",
                "X-Goog-Upload-URL": url,
                "X-Goog-Upload-Chunk-Granularity": str(self.granularity),
                "Content-Length": "0",
            },
        )

    def is_session(self, upload_id: str) -> bool:
        """Whether ``upload_id`` names a session (its URL is the credential for its bytes)."""
        with self._lock:
            return upload_id in self.sessions

    def session(self, upload_id: str) -> UploadSession:
        """The session for ``upload_id``, or 404."""
        with self._lock:
            found = self.sessions.get(upload_id)
        if found is None:
            raise ApiFailure(404, f"No upload session {upload_id!r}.")
        return found

    def receive_partial(self, upload_id: str, offset: int, data: bytes) -> None:
        """Keep the bytes of a chunk whose connection broke (the fault ``stop_upload_after``)."""
        with self._lock:
            found = self.sessions.get(upload_id)
            if found is not None and found.status == "active" and offset == len(found.data):
                found.data += data

    def command(self, request: Incoming, upload_id: str) -> HttpResponse:
        """``upload``, ``finalize``, ``query`` or ``cancel`` at a session's URL."""
        raw = request.headers.get("x-goog-upload-command", "")
        commands = {part.strip().lower() for part in raw.split(",") if part.strip()}
        known = {"upload", "finalize", "query", "cancel"}
        if not commands or not commands <= known:
            raise ApiFailure(400, f"Unknown X-Goog-Upload-Command {raw!r}.")
        with self._lock:
            session = self.sessions.get(upload_id)
            if session is None:
                raise ApiFailure(404, f"No upload session {upload_id!r}.")
            if "query" in commands:
                return self._status_response(session, request)
            if "cancel" in commands:
                if session.status == "active":
                    session.status = "cancelled"
                return self._status_response(session, request)
            if session.status != "active":
                raise ApiFailure(
                    400, f"The upload session is {session.status}; it takes no more bytes."
                )
            if "upload" in commands:
                self._append(session, request, finalizing="finalize" in commands)
            if "finalize" in commands:
                self._finalize(session, request)
            return self._status_response(session, request)

    def _append(self, session: UploadSession, request: Incoming, *, finalizing: bool) -> None:
        raw_offset = request.headers.get("x-goog-upload-offset", "")
        if not raw_offset.strip().isdigit():
            raise ApiFailure(400, f"Missing or invalid X-Goog-Upload-Offset {raw_offset!r}.")
        offset = int(raw_offset)
        if offset != len(session.data):
            raise ApiFailure(
                400,
                f"Invalid upload offset {offset}: the server has received {len(session.data)} "
                "bytes; query the session and resume from there.",
                headers={"X-Goog-Upload-Size-Received": str(len(session.data))},
            )
        chunk = request.body
        if not finalizing and len(chunk) % self.granularity:
            raise ApiFailure(
                400,
                f"A chunk that does not finalize must be a multiple of {self.granularity} "
                f"bytes, got {len(chunk)}.",
            )
        new_size = len(session.data) + len(chunk)
        limit = session.declared_size if session.declared_size is not None else self.max_file_bytes
        if new_size > limit:
            raise ApiFailure(400, f"The upload would hold {new_size} bytes, over {limit}.")
        held = sum(len(s.data) for s in self.sessions.values() if s.status == "active")
        held += sum(len(f.data) for f in self.files.values())
        if held + len(chunk) > self.max_total_bytes:
            # Memory stays bounded: a test that uploads too much is told so, not OOM-killed.
            raise ApiFailure(
                429, f"The emulator holds {held} bytes; its limit is {self.max_total_bytes}."
            )
        session.data += chunk

    def _finalize(self, session: UploadSession, request: Incoming) -> None:
        size = len(session.data)
        if session.declared_size is not None and size != session.declared_size:
            raise ApiFailure(
                400,
                f"Finalized with {size} bytes but {session.declared_size} were declared.",
            )
        file_id = secrets.token_hex(6)
        name = f"files/{file_id}"
        failure = self._fail_next.pop(0) if self._fail_next else None
        stored = StoredFile(
            name=name,
            display_name=session.display_name,
            mime_type=session.mime_type,
            data=bytes(session.data),
            create_time=_now(),
            uri=f"{request.base_url}/{session.version}/{name}",
            polls_left=self.processing_polls,
            failure=failure,
        )
        if stored.polls_left <= 0:
            stored.state = "FAILED" if failure else "ACTIVE"
        self.files[name] = stored
        session.status = "final"
        session.file_name = name

    def _status_response(self, session: UploadSession, request: Incoming) -> HttpResponse:
        headers = {
            "X-Goog-Upload-Status": session.status,
            "X-Goog-Upload-Size-Received": str(len(session.data)),
            "X-Goog-Upload-Chunk-Granularity": str(self.granularity),
        }
        if session.status == "final" and session.file_name in self.files:
            return json_response({"file": self.files[session.file_name].resource()}, 200, headers)
        return HttpResponse(200, {**headers, "Content-Length": "0"})

    # --- files -------------------------------------------------------------------

    def get(self, name: str) -> HttpResponse:
        """``GET files/{id}``: each get moves a processing file one poll closer to done."""
        with self._lock:
            stored = self.files.get(name)
            if stored is None:
                raise ApiFailure(404, f"File {name} not found.")
            if stored.state == "PROCESSING":
                stored.polls_left -= 1
                if stored.polls_left <= 0:
                    stored.state = "FAILED" if stored.failure else "ACTIVE"
            return json_response(stored.resource())

    def list(self, request: Incoming) -> HttpResponse:
        """``GET files``: paged (default 10, at most 100 per page)."""
        with self._lock:
            everything = [f.resource() for f in self.files.values()]
        page, token = paginate(everything, request.query, default_size=10, max_size=100)
        payload: dict[str, Any] = {"files": page} if page else {}
        if token:
            payload["nextPageToken"] = token
        return json_response(payload)

    def delete(self, name: str) -> HttpResponse:
        """``DELETE files/{id}``: answers ``{}``."""
        with self._lock:
            if self.files.pop(name, None) is None:
                raise ApiFailure(404, f"File {name} not found.")
        return json_response({})

    def content(self, name: str) -> bytes:
        """The bytes stored for a file (for tests: compare hashes with what was sent)."""
        with self._lock:
            stored = self.files.get(name)
        if stored is None:
            raise KeyError(name)
        return stored.data
