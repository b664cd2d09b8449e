"""A request-level estimate of image tokens, offline (K2).

``estimate_request`` walks a ``generateContent``/``countTokens`` request --
an ``HttpRequest``, its JSON body, a ``GenerateContentRequest``, or plain
contents -- and prices every inline image with ``gemini_vision.tokens``:

* the size comes from the image header (I3), never from decoding pixels,
  and is the *displayed* size (EXIF orientation applied; every shipped rule
  gives the same count for a size and its transpose anyway);
* ``mediaResolution`` comes from the part when it sets one (Gemini 3's
  per-part ``mediaResolution``, a string or ``{"level": ...}``), else from
  ``generationConfig.mediaResolution``, else the rule's default;
* the rule is the model's default (see ``gemini_vision.tokens``) unless
  ``rule=`` names one. For an ``HttpRequest`` the model is read from the URL
  and Vertex AI from the host, unless given.

Images referenced by ``fileData`` cannot be sized offline; they are listed
in ``unsized``. Text is not estimated: ``countTokens`` is the tool for that.
Nothing here performs I/O.

>>> import base64, struct
>>> png = b"\\x89PNG\\r\\n\\x1a\\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 960, 540, 8, 2, 0, 0, 0)
>>> body = {"contents": [{"parts": [{"text": "What is this?"},
...     {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}}]}]}
>>> estimate = estimate_request(body, model="gemini-2.0-flash", rule="documented")
>>> estimate.image_tokens, estimate.images[0].path, estimate.images[0].size
(1548, 'contents[0].parts[1]', (960, 540))
"""  # noqa: E501

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gemini_vision.errors import LocalError
from gemini_vision.images.headers import ImageHeader, read_header
from gemini_vision.wire.codec import b64decode
from gemini_vision.wire.http import HttpRequest

__all__ = ["ImageEstimate", "RequestEstimate", "estimate_request"]

_PREFIX_CHARS = 1 << 20  # base64 characters decoded first (a multiple of 4): most headers
_MODEL_IN_URL = re.compile(r"/(?:models|tunedModels)/([^/:?]+):")


@dataclass(frozen=True, slots=True)
class ImageEstimate:
    """One inline image: where it is, its displayed size, the settings used, its tokens."""

    path: str
    mime_type: str
    size: tuple[int, int]
    media_resolution: str | None
    rule: str
    tokens: int


@dataclass(frozen=True, slots=True)
class RequestEstimate:
    """The images of a request and what they cost; ``unsized`` lists ``fileData`` images."""

    model: str
    images: tuple[ImageEstimate, ...]
    unsized: tuple[str, ...]

    @property
    def image_tokens(self) -> int:
        """The sum over the inline images."""
        return sum(image.tokens for image in self.images)


def _get(mapping: Mapping[str, Any], camel: str, snake: str) -> Any:
    return mapping.get(camel, mapping.get(snake))


def _resolution(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("level")
    return value if isinstance(value, str) and value else None


def _body_of(request: Any) -> tuple[dict[str, Any], str | None, bool]:
    """The JSON body, the model named by the URL (if any) and whether the host is Vertex AI."""
    if isinstance(request, HttpRequest):
        try:
            body = json.loads(request.body)
        except ValueError:
            raise LocalError("estimate_request: the request body is not JSON") from None
        match = _MODEL_IN_URL.search(urlsplit(request.url).path)
        host = urlsplit(request.url).hostname or ""
        return body, match.group(1) if match else None, host.endswith("aiplatform.googleapis.com")
    if isinstance(request, Mapping):
        return dict(request), None, False
    to_json = getattr(request, "to_json", None)
    if callable(to_json) and hasattr(request, "contents"):
        return dict(to_json()), None, False
    from gemini_vision.api.generate import generate_content_request

    return generate_content_request(request).to_json(), None, False


def _image_parts(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    inner = _get(body, "generateContentRequest", "generate_content_request")
    if isinstance(inner, Mapping):
        yield from (("generateContentRequest." + p, part) for p, part in _image_parts(inner))
        return
    groups: list[tuple[str, Any]] = []
    contents = body.get("contents")
    if isinstance(contents, list):
        groups += [(f"contents[{i}]", c) for i, c in enumerate(contents)]
    instruction = _get(body, "systemInstruction", "system_instruction")
    if instruction is not None:
        groups.append(("systemInstruction", instruction))
    for where, content in groups:
        parts = content.get("parts") if isinstance(content, Mapping) else None
        for j, part in enumerate(parts if isinstance(parts, list) else []):
            if isinstance(part, Mapping):
                yield f"{where}.parts[{j}]", part


def _header(path: str, data: str) -> ImageHeader:
    try:
        try:
            return read_header(b64decode(data[:_PREFIX_CHARS]))
        except LocalError:
            if len(data) <= _PREFIX_CHARS:
                raise
            return read_header(b64decode(data))  # a header past the first MiB
    except LocalError as error:
        raise LocalError(f"{path}: {error}") from None
    except ValueError:
        raise LocalError(f"{path}.inlineData.data: not valid base64") from None


def estimate_request(
    request: Any,
    *,
    model: str | None = None,
    rule: str | None = None,
    vertex: bool | None = None,
) -> RequestEstimate:
    """Estimate the image tokens of a request, per inline image and in total.

    Args:
        request: an ``HttpRequest`` (generateContent, streamGenerateContent or
            countTokens), its JSON body as a dict, a ``GenerateContentRequest``,
            or contents as ``Client.generate`` takes them.
        model: the model whose default rule applies (read from an
            ``HttpRequest``'s URL when not given).
        rule: a rule name from ``gemini_vision.tokens.RULES`` for every image.
        vertex: Vertex AI defaults (read from an ``HttpRequest``'s host when not given).

    Raises:
        LocalError: no model and no rule, an image that is not a supported
            image, a bad ``mediaResolution``, or a model without a default rule.
    """
    from gemini_vision.tokens import image_tokens, resolve_rule

    body, url_model, url_vertex = _body_of(request)
    model = model or url_model
    if model is None and rule is None:
        raise LocalError("estimate_request: pass model= (or rule=) to choose a token rule")
    model_name = model or "gemini-2.5-flash"  # only consulted for rules that depend on it
    on_vertex = url_vertex if vertex is None else vertex
    config = _get(body, "generationConfig", "generation_config")
    if not isinstance(config, Mapping):
        config = {}
    default_resolution = _resolution(_get(config, "mediaResolution", "media_resolution"))
    images: list[ImageEstimate] = []
    unsized: list[str] = []
    for path, part in _image_parts(body):
        inline = _get(part, "inlineData", "inline_data")
        file_data = _get(part, "fileData", "file_data")
        if isinstance(file_data, Mapping):
            mime = str(_get(file_data, "mimeType", "mime_type") or "")
            if mime.startswith("image/") or not mime:
                unsized.append(path)
            continue
        if not isinstance(inline, Mapping):
            continue
        mime = str(_get(inline, "mimeType", "mime_type") or "")
        if not mime.startswith("image/"):
            continue
        header = _header(path, str(inline.get("data") or ""))
        resolution = (
            _resolution(_get(part, "mediaResolution", "media_resolution")) or default_resolution
        )
        chosen = resolve_rule(
            model_name, rule=rule, media_resolution=resolution, vertex=on_vertex
        ).rule.name
        width, height = header.display_size
        tokens = image_tokens(
            width,
            height,
            model=model_name,
            rule=rule,
            media_resolution=resolution,
            vertex=on_vertex,
        )
        images.append(
            ImageEstimate(path, header.mime_type, header.display_size, resolution, chosen, tokens)
        )
    return RequestEstimate(model_name, tuple(images), tuple(unsized))
