"""Where requests go and how they authenticate (W2): configuration, not code paths.

* ``GeminiApi``: the Gemini Developer API (``v1beta`` by default, ``v1``
  selectable) or any base URL speaking the same protocol (a proxy, the
  emulator). The key travels only in the ``x-goog-api-key`` header, never in the
  URL.
* ``VertexAi``: the regional Vertex AI host,
  ``https://{location}-aiplatform.googleapis.com/{version}/projects/{p}/locations/{l}/publishers/google/models/{m}:{method}``,
  with ``Authorization: Bearer`` from a token provider that is called for every
  request (tokens expire; the endpoint never stores one).

Neither ``repr`` nor ``str`` shows a secret.

>>> api = GeminiApi(api_key="AIza-secret")
>>> api.model_url("gemini-2.5-flash", "generateContent")
'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent'
>>> api.auth_headers()
{'x-goog-api-key': 'AIza-secret'}
>>> "secret" in repr(api)
False
>>> VertexAi("proj", "europe-west4", lambda: "tok").model_url("gemini-2.5-flash", "countTokens")
'https://europe-west4-aiplatform.googleapis.com/v1/projects/proj/locations/europe-west4/publishers/google/models/gemini-2.5-flash:countTokens'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

from gemini_vision.errors import LocalError
from gemini_vision.wire import codec as wire_json
from gemini_vision.wire.http import REDACTED, HttpRequest, is_loopback

__all__ = [
    "DEFAULT_BASE_URL",
    "Endpoint",
    "GeminiApi",
    "VertexAi",
    "json_request",
    "model_resource",
]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
_VERSIONS = ("v1beta", "v1", "v1alpha")
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_SEGMENT = re.compile(r"[A-Za-z0-9._@~-]+")


def model_resource(model: str) -> str:
    """The resource name of a model: a bare id gets ``models/``; ``tunedModels/x`` stays.

    >>> model_resource("gemini-2.5-flash"), model_resource("tunedModels/my-model-1")
    ('models/gemini-2.5-flash', 'tunedModels/my-model-1')
    >>> model_resource("models/../files")
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: model must be a model id like 'gemini-2.5-flash', 'models/{id}' or 'tunedModels/{id}', got 'models/../files'
    """  # noqa: E501
    if not isinstance(model, str):
        raise LocalError(f"model must be a string, got {type(model).__name__}")
    if _MODEL_ID.fullmatch(model) and ".." not in model:
        return f"models/{model}"
    collection, _, name = model.partition("/")
    if collection in ("models", "tunedModels") and _MODEL_ID.fullmatch(name) and ".." not in name:
        return model
    raise LocalError(
        "model must be a model id like 'gemini-2.5-flash', 'models/{id}' or "
        f"'tunedModels/{{id}}', got {model!r}"
    )


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LocalError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise LocalError(
            "base_url must not carry a query, a fragment or credentials; "
            "give the key as api_key (it is sent in a header)"
        )
    return base_url.rstrip("/")


def _query_string(query: Mapping[str, Any] | None) -> str:
    if not query:
        return ""
    items = [(k, str(v).lower() if isinstance(v, bool) else v) for k, v in query.items()]
    return "?" + urlencode([(k, v) for k, v in items if v is not None], doseq=True)


class Endpoint(Protocol):
    """What the builders need from an endpoint."""

    def model_url(
        self, model: str, method: str, query: Mapping[str, Any] | None = None
    ) -> str: ...  # pragma: no cover

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str: ...  # pragma: no cover

    def auth_headers(self) -> dict[str, str]: ...  # pragma: no cover


class GeminiApi:
    """The Gemini Developer API, or a proxy/emulator speaking it at ``base_url``.

    Args:
        api_key: sent as ``x-goog-api-key``; None sends no key (an emulator that
            does not check, or a proxy that adds it).
        base_url: scheme and host (and an optional path prefix).
        version: ``v1beta`` (default) or ``v1``.
    """

    __slots__ = ("_api_key", "base_url", "version")

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        version: str = "v1beta",
    ) -> None:
        if version not in _VERSIONS:
            raise LocalError(f"version must be one of {', '.join(_VERSIONS)}, got {version!r}")
        if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
            raise LocalError("api_key must be a non-empty string (or None to send no key)")
        self._api_key = api_key
        self.base_url = _check_base_url(base_url)
        plain = not self.base_url.lower().startswith("https:")
        if api_key is not None and plain and not is_loopback(self.base_url):
            raise LocalError(
                f"base_url {self.base_url!r} is plain http to another machine: the API key "
                "would travel in clear; use https (plain http is for a local emulator)"
            )
        self.version = version

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        """``{base_url}/{version}/{path}?{query}``; ``upload/`` paths put it after ``upload``.

        >>> GeminiApi().url("upload/files", {"uploadType": "resumable"})
        'https://generativelanguage.googleapis.com/upload/v1beta/files?uploadType=resumable'
        """
        path = path.lstrip("/")
        if path.startswith("upload/"):
            full = f"{self.base_url}/upload/{self.version}/{path[len('upload/') :]}"
        else:
            full = f"{self.base_url}/{self.version}/{path}"
        return full + _query_string(query)

    def model_url(self, model: str, method: str, query: Mapping[str, Any] | None = None) -> str:
        """The URL of ``{model}:{method}`` (bare ids become ``models/{id}``)."""
        return self.url(f"{quote(model_resource(model), safe='/@')}:{method}", query)

    def auth_headers(self) -> dict[str, str]:
        """The credential header, computed per request."""
        return {} if self._api_key is None else {"x-goog-api-key": self._api_key}

    def __repr__(self) -> str:
        key = None if self._api_key is None else REDACTED
        return f"GeminiApi(api_key={key!r}, base_url={self.base_url!r}, version={self.version!r})"

    __str__ = __repr__


class VertexAi:
    """Vertex AI's regional endpoint for Google's publisher models.

    Args:
        project: the Google Cloud project id.
        location: a region such as ``us-central1`` (``global`` uses the global host).
        token_provider: returns a fresh OAuth access token; called for every request.
        version: ``v1`` (default) or ``v1beta1``.
        base_url: overrides the host (a proxy, a private endpoint, the emulator).
    """

    __slots__ = ("_token_provider", "base_url", "location", "project", "version")

    def __init__(
        self,
        project: str,
        location: str,
        token_provider: Callable[[], str],
        *,
        version: str = "v1",
        base_url: str | None = None,
    ) -> None:
        for name, value in (("project", project), ("location", location)):
            if not isinstance(value, str) or not _SEGMENT.fullmatch(value):
                raise LocalError(f"{name} must be a plain identifier, got {value!r}")
        if version not in ("v1", "v1beta1"):
            raise LocalError(f"version must be v1 or v1beta1, got {version!r}")
        if not callable(token_provider):
            raise LocalError("token_provider must be a callable returning an access token")
        if base_url is None:
            host = "aiplatform.googleapis.com" if location == "global" else (
                f"{location}-aiplatform.googleapis.com"
            )  # fmt: skip
            base_url = f"https://{host}"
        self.base_url = _check_base_url(base_url)
        self.project = project
        self.location = location
        self.version = version
        self._token_provider = token_provider

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        """``{base_url}/{version}/projects/{p}/locations/{l}/{path}``."""
        prefix = f"projects/{self.project}/locations/{self.location}"
        return f"{self.base_url}/{self.version}/{prefix}/{path.lstrip('/')}" + _query_string(query)

    def model_url(self, model: str, method: str, query: Mapping[str, Any] | None = None) -> str:
        """The URL of a publisher model's method; tuned models are not served this way."""
        resource = model_resource(model)
        if resource.startswith("tunedModels/"):
            raise LocalError(
                f"{model!r} is a Gemini API tuned model; Vertex AI serves tuned models from "
                "endpoints, not from publishers/google/models"
            )
        model_id = resource[len("models/") :]
        return self.url(f"publishers/google/models/{quote(model_id, safe='@')}:{method}", query)

    def auth_headers(self) -> dict[str, str]:
        """``Authorization: Bearer <token>``, asking the provider for a token now."""
        token = self._token_provider()
        if not isinstance(token, str) or not token.strip():
            raise LocalError("token_provider returned no token (expected a non-empty string)")
        if any(c in token for c in "\r\n"):
            raise LocalError("token_provider returned a token with a line break")
        return {"Authorization": f"Bearer {token.strip()}"}

    def __repr__(self) -> str:
        return (
            f"VertexAi(project={self.project!r}, location={self.location!r}, "
            f"version={self.version!r}, base_url={self.base_url!r})"
        )

    __str__ = __repr__


def json_request(
    endpoint: Endpoint,
    method: str,
    url: str,
    body: Any = None,
    *,
    idempotent: bool | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpRequest:
    """An ``HttpRequest`` carrying ``body`` as JSON, with the endpoint's credentials.

    ``LocalError`` if the body holds something JSON cannot (NaN, bytes, objects).

    >>> r = json_request(GeminiApi("k"), "POST", "https://h/x", {"a": 1}, idempotent=True)
    >>> r.body, r.headers["content-type"], r.idempotent
    (b'{"a":1}', 'application/json', True)
    """
    all_headers: dict[str, str] = {}
    payload = b""
    if body is not None:
        try:
            payload = wire_json.dumps(body)
        except (TypeError, ValueError) as error:
            raise LocalError(f"the request body is not valid JSON: {error}") from None
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    all_headers.update(endpoint.auth_headers())
    return HttpRequest(method, url, all_headers, payload, idempotent=idempotent)
