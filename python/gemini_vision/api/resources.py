"""What the resource APIs (files, tuned models) share: the surface check and the answers.

>>> from gemini_vision.api.endpoints import GeminiApi
>>> require_gemini_api(GeminiApi(), "tunedModels").version
'v1beta'
"""

from __future__ import annotations

from typing import TypeVar

from gemini_vision.api.endpoints import Endpoint, VertexAi
from gemini_vision.api.errors import api_error_from_response
from gemini_vision.errors import LocalError, ProtocolError
from gemini_vision.wire.http import HttpResponse
from gemini_vision.wire.model import WireObject

__all__ = ["parse_delete", "parse_resource", "require_gemini_api"]

W = TypeVar("W", bound=WireObject)


def require_gemini_api(endpoint: Endpoint, what: str) -> Endpoint:
    """``endpoint`` unless it is Vertex AI, which serves neither the Files API nor tunedModels.

    >>> from gemini_vision.api.endpoints import VertexAi
    >>> require_gemini_api(VertexAi("p", "us-central1", lambda: "t"), "the Files API")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: the Files API is a Gemini API surface; Vertex AI has no equivalent endpoint (use Cloud Storage URIs and Vertex tuning jobs)
    """  # noqa: E501
    if isinstance(endpoint, VertexAi):
        raise LocalError(
            f"{what} is a Gemini API surface; Vertex AI has no equivalent endpoint "
            "(use Cloud Storage URIs and Vertex tuning jobs)"
        )
    return endpoint


def parse_resource(response: HttpResponse, cls: type[W], what: str) -> W:
    """One resource answer (``what``: "a File", "an Operation"...) as ``cls``.

    Error statuses raise their ``ApiError``; a malformed body raises
    ``ProtocolError`` naming the JSON path.

    >>> from gemini_vision.wire.files import File
    >>> parse_resource(HttpResponse(200, {}, b'{"name": "files/a"}'), File, "a File").name
    'files/a'
    """
    if not response.is_success:
        raise api_error_from_response(response)
    return cls.from_owned_json(response.json(what=what))


def parse_delete(response: HttpResponse) -> None:
    """Check a delete answer: 2xx with an empty object (or an empty body)."""
    if not response.is_success:
        raise api_error_from_response(response)
    if response.body.strip():
        payload = response.json(what="an empty object")
        if payload != {}:
            raise ProtocolError(f"a delete should answer {{}}, got {str(payload)[:80]}")
