"""Builders and parsers for every ``tunedModels`` method of the reference (T1).

``create`` (POST ``tunedModels``, optional ``tunedModelId``; answers an
``Operation``), ``get``, ``list`` (paged; ``filter`` with role terms and free
text), ``patch`` (PATCH with an ``updateMask``), ``delete`` (answers ``{}``),
and ``operations.get``. ``generateContent``/``streamGenerateContent`` on a
tuned model are the ordinary builders of ``gemini_vision.api.generate`` with
a ``tunedModels/...`` model name.

A create without ``tunedModelId`` is marked non-idempotent: sending it twice
would make two models, so no retry policy re-sends it. Every T3 rule is
checked before a request is built (``gemini_vision.api.tuned_validation``).

>>> from gemini_vision.api.endpoints import GeminiApi
>>> from gemini_vision.wire.tuned import Dataset, TuningTask
>>> model = TunedModel(base_model="models/gemini-1.5-flash-001",
...                    tuning_task=TuningTask(training_data=Dataset.of([("1", "2")])))
>>> request = build_create_tuned_model(GeminiApi("k"), model)
>>> request.method, request.url, request.idempotent
('POST', 'https://generativelanguage.googleapis.com/v1beta/tunedModels', False)
>>> build_create_tuned_model(GeminiApi("k"), model, tuned_model_id="my-model").url
'https://generativelanguage.googleapis.com/v1beta/tunedModels?tunedModelId=my-model'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from gemini_vision.api.endpoints import Endpoint, json_request
from gemini_vision.api.operations import parse_operation, validate_operation_name
from gemini_vision.api.pagination import (
    Page,
    Pager,
    check_page_size,
    check_page_token,
    parse_page,
)
from gemini_vision.api.resources import parse_delete, parse_resource, require_gemini_api
from gemini_vision.api.tuned_validation import validate_for_create, validate_for_patch
from gemini_vision.errors import LocalError
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.tuned import TunedModel

__all__ = [
    "PATCHABLE_FIELDS",
    "build_create_tuned_model",
    "build_delete_tuned_model",
    "build_get_operation",
    "build_get_tuned_model",
    "build_list_tuned_models",
    "build_patch_tuned_model",
    "changed_fields",
    "parse_delete",
    "parse_list_tuned_models",
    "parse_operation",
    "parse_tuned_model",
    "require_gemini_api",
    "tuned_model_filter",
    "tuned_model_name",
    "tuned_models_pager",
    "update_mask_paths",
]

#: snake_case attribute -> wire field, for the fields a patch may change.
PATCHABLE_FIELDS: dict[str, str] = {
    "display_name": "displayName",
    "description": "description",
    "temperature": "temperature",
    "top_p": "topP",
    "top_k": "topK",
    "reader_project_numbers": "readerProjectNumbers",
}
#: Fields the server sets (or that are fixed at creation): a mask naming them is refused.
NOT_PATCHABLE: dict[str, str] = {
    "name": "fixed at creation",
    "baseModel": "fixed at creation",
    "tunedModelSource": "fixed at creation",
    "tuningTask": "fixed at creation",
    "state": "output only",
    "createTime": "output only",
    "updateTime": "output only",
}
_NAME = re.compile(r"(?:tunedModels/)?([a-z0-9][a-z0-9-]{0,62})")
_ROLE_TERMS = ("owner:me", "writers:me", "readers:me", "readers:everyone")


def tuned_model_name(name: str) -> str:
    """``tunedModels/{id}`` from an id or a full name; anything else is a ``LocalError``.

    >>> tuned_model_name("my-model"), tuned_model_name("tunedModels/my-model")
    ('tunedModels/my-model', 'tunedModels/my-model')
    """
    match = _NAME.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        raise LocalError(f"name: must be 'tunedModels/{{id}}' or an id, got {name!r}")
    return f"tunedModels/{match.group(1)}"


def build_create_tuned_model(
    endpoint: Endpoint, model: TunedModel, *, tuned_model_id: str | None = None
) -> HttpRequest:
    """``POST tunedModels[?tunedModelId=]``: start tuning; the answer is an ``Operation``.

    Raises:
        LocalError: a T3 rule is broken (the message names the field and the rule).
    """
    if not isinstance(model, TunedModel):
        raise LocalError(
            "model: must be a TunedModel (build one with TunedModel(...) or "
            f"TunedModel.from_json(dict)), got {type(model).__name__}"
        )
    if tuned_model_id is not None and not isinstance(tuned_model_id, str):
        raise LocalError(f"tunedModelId: must be a string, got {type(tuned_model_id).__name__}")
    validate_for_create(model, tuned_model_id)
    query = None if tuned_model_id is None else {"tunedModelId": tuned_model_id}
    return json_request(
        endpoint,
        "POST",
        require_gemini_api(endpoint, "tunedModels").url("tunedModels", query),
        model.to_request_json(),
        # With an id a repeat is refused (ALREADY_EXISTS); without one it makes a second model.
        idempotent=tuned_model_id is not None,
    )


def build_get_tuned_model(endpoint: Endpoint, name: str) -> HttpRequest:
    """``GET tunedModels/{id}``.

    >>> from gemini_vision.api.endpoints import GeminiApi
    >>> build_get_tuned_model(GeminiApi(), "m1").url
    'https://generativelanguage.googleapis.com/v1beta/tunedModels/m1'
    """
    url = require_gemini_api(endpoint, "tunedModels").url(tuned_model_name(name))
    return json_request(endpoint, "GET", url)


def parse_tuned_model(response: HttpResponse) -> TunedModel:
    """A ``TunedModel`` answer (get, patch); error statuses raise their ``ApiError``."""
    return parse_resource(response, TunedModel, "a TunedModel")


def tuned_model_filter(*roles: str, text: str | None = None) -> str:
    """A ``filter`` for list: role terms (``owner:me``, ...) and free text, space separated.

    >>> tuned_model_filter("owner:me", text="translator")
    'owner:me translator'
    """
    for role in roles:
        if role not in _ROLE_TERMS:
            raise LocalError(f"filter: unknown role term {role!r}; use one of {_ROLE_TERMS}")
    words = [*roles, *([text.strip()] if text and text.strip() else [])]
    return " ".join(words)


def build_list_tuned_models(
    endpoint: Endpoint,
    *,
    page_size: int | None = None,
    page_token: str | None = None,
    filter: str | None = None,
) -> HttpRequest:
    """``GET tunedModels`` with ``pageSize`` (server default 10, at most 1,000 per page).

    >>> from gemini_vision.api.endpoints import GeminiApi
    >>> build_list_tuned_models(GeminiApi(), page_size=50, filter="owner:me").url
    'https://generativelanguage.googleapis.com/v1beta/tunedModels?pageSize=50&filter=owner%3Ame'
    """
    if filter is not None and not isinstance(filter, str):
        raise LocalError(f"filter: must be a string, got {type(filter).__name__}")
    query: dict[str, Any] = {
        "pageSize": check_page_size(page_size),
        "pageToken": check_page_token(page_token),
        "filter": filter,
    }
    url = require_gemini_api(endpoint, "tunedModels").url("tunedModels", query)
    return json_request(endpoint, "GET", url)


def parse_list_tuned_models(response: HttpResponse) -> Page[TunedModel]:
    """One page of ``tunedModels.list``."""
    return parse_page(response, "tunedModels", TunedModel)


def tuned_models_pager(
    endpoint: Endpoint,
    *,
    page_size: int | None = None,
    filter: str | None = None,
    page_token: str | None = None,
) -> Pager[TunedModel]:
    """A ``Pager`` over every tuned model the filter selects."""
    first = build_list_tuned_models(
        endpoint, page_size=page_size, filter=filter, page_token=page_token
    )
    return Pager(first, parse=parse_list_tuned_models)


def changed_fields(original: TunedModel, updated: TunedModel) -> tuple[str, ...]:
    """The wire names of the patchable fields whose values differ.

    >>> changed_fields(TunedModel(display_name="a", top_k=3), TunedModel(display_name="b", top_k=3))
    ('displayName',)
    """
    return tuple(
        wire
        for attr, wire in PATCHABLE_FIELDS.items()
        if getattr(original, attr) != getattr(updated, attr)
    )


def _set_fields(model: TunedModel) -> tuple[str, ...]:
    return tuple(
        wire for attr, wire in PATCHABLE_FIELDS.items() if getattr(model, attr) not in (None, ())
    )


def update_mask_paths(update_mask: str | Iterable[str]) -> tuple[str, ...]:
    """The paths of an ``update_mask``: a comma-separated string or a list, snake or camel case.

    Paths of fields that cannot be patched (output only, or fixed at creation)
    and unknown paths are refused before anything is sent.

    >>> update_mask_paths("displayName, top_k")
    ('displayName', 'topK')
    >>> update_mask_paths(["state"])
    Traceback (most recent call last):
    ...
    gemini_vision.errors.LocalError: updateMask: 'state' is output only; patchable: displayName, description, temperature, topP, topK, readerProjectNumbers
    """  # noqa: E501
    if isinstance(update_mask, str):
        raw = update_mask.split(",")
    else:
        try:
            raw = list(update_mask)
        except TypeError:
            raise LocalError(
                "updateMask: must be a comma-separated string or a list of field names, "
                f"got {type(update_mask).__name__}"
            ) from None
    patchable = ", ".join(PATCHABLE_FIELDS.values())
    paths: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise LocalError(f"updateMask: field names must be strings, got {item!r}")
        path = item.strip()
        path = PATCHABLE_FIELDS.get(path, path)
        camel = _camel(path)
        if camel in NOT_PATCHABLE:
            raise LocalError(
                f"updateMask: {path!r} is {NOT_PATCHABLE[camel]}; patchable: {patchable}"
            )
        if path not in PATCHABLE_FIELDS.values():
            raise LocalError(
                f"updateMask: {path!r} is not a TunedModel field; patchable: {patchable}"
            )
        if path not in paths:
            paths.append(path)
    return tuple(paths)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def build_patch_tuned_model(
    endpoint: Endpoint,
    model: TunedModel,
    *,
    name: str | None = None,
    update_mask: str | Iterable[str] | None = None,
    original: TunedModel | None = None,
) -> HttpRequest:
    """``PATCH tunedModels/{id}?updateMask=...``: change only the masked fields.

    The mask is ``update_mask`` when given; else the fields that differ from
    ``original``; else the patchable fields set on ``model``. A masked field
    that is unset in ``model`` is cleared by the server. The body carries the
    masked fields only.

    >>> from gemini_vision.api.endpoints import GeminiApi
    >>> r = build_patch_tuned_model(GeminiApi(), TunedModel(name="tunedModels/m", top_k=5))
    >>> r.method, r.url.split("?")[1], r.json()
    ('PATCH', 'updateMask=topK', {'topK': 5})
    """
    if not isinstance(model, TunedModel):
        raise LocalError(f"model: must be a TunedModel (or its name), got {type(model).__name__}")
    target = tuned_model_name(name or model.name or "")
    if update_mask is not None:
        mask = update_mask_paths(update_mask)
    elif original is not None:
        mask = changed_fields(original, model)
    else:
        mask = _set_fields(model)
    validate_for_patch(model, mask)
    full = model.to_request_json()
    body = {key: value for key, value in full.items() if key in mask}
    url = require_gemini_api(endpoint, "tunedModels").url(target, {"updateMask": ",".join(mask)})
    return json_request(endpoint, "PATCH", url, body, idempotent=True)


def build_delete_tuned_model(endpoint: Endpoint, name: str) -> HttpRequest:
    """``DELETE tunedModels/{id}`` (answers ``{}``)."""
    url = require_gemini_api(endpoint, "tunedModels").url(tuned_model_name(name))
    return json_request(endpoint, "DELETE", url)


def build_get_operation(endpoint: Endpoint, name: str) -> HttpRequest:
    """``GET tunedModels/{m}/operations/{o}``.

    >>> from gemini_vision.api.endpoints import GeminiApi
    >>> build_get_operation(GeminiApi(), "tunedModels/m/operations/o").url
    'https://generativelanguage.googleapis.com/v1beta/tunedModels/m/operations/o'
    """
    validate_operation_name(name)
    return json_request(endpoint, "GET", require_gemini_api(endpoint, "tunedModels").url(name))
