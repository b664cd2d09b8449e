"""The emulator's ``tunedModels`` surface: create, get, list, patch, delete, operations.

A create answers a long-running ``Operation``; every later poll of the
operation (or get of the model) runs the next slice of the tuning job, adding
one ``TuningSnapshot`` per step, until after ``tuning_polls`` polls the model is
``ACTIVE`` and the operation is done with the model as its response, or, when
the test asked for it, ``FAILED`` with an error ``Status``.

List filters follow the reference: ``owner:me``, ``writers:me``, ``readers:me``
and ``readers:everyone`` select by role (several are ANDed); other words are a
case-insensitive full-text search over display name and description; without
a role term, models only shared with everyone are left out.

>>> matches_filter({"displayName": "Sentence Translator"}, Roles(), "owner:me translator")
True
>>> matches_filter({"displayName": "x"}, Roles(owner_me=False, readers_everyone=True), "")
False
"""

from __future__ import annotations

import copy
import math
import re
import secrets
import string
import threading
from dataclasses import dataclass
from typing import Any

from gemini_vision.testing._bodies import bad_request, check_tuned_model
from gemini_vision.testing._files import _now
from gemini_vision.testing._paging import paginate
from gemini_vision.testing._protocol import ApiFailure, Incoming, json_response
from gemini_vision.wire.http import HttpResponse

__all__ = ["Roles", "TuningStore", "matches_filter"]

_ID_RE = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")
_MUTABLE = frozenset(
    {"displayName", "description", "temperature", "topP", "topK", "readerProjectNumbers"}
)
_KNOWN = _MUTABLE | {
    "name",
    "state",
    "createTime",
    "updateTime",
    "tuningTask",
    "baseModel",
    "tunedModelSource",
}
_METADATA_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata"
_MODEL_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel"
_ROLE_TERM = re.compile(r"(owner|writers|readers):(me|everyone)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Roles:
    """The caller's relation to a model, for list filters."""

    owner_me: bool = True
    reader_me: bool = False
    readers_everyone: bool = False


def matches_filter(model: dict[str, Any], roles: Roles, text: str) -> bool:
    """Whether a model passes a ``filter`` string (role terms ANDed, then full text)."""
    words = text.split()
    role_terms = [w.lower() for w in words if _ROLE_TERM.fullmatch(w)]
    free = [w.lower() for w in words if not _ROLE_TERM.fullmatch(w)]
    checks = {
        "owner:me": roles.owner_me,
        "writers:me": roles.owner_me,
        "readers:me": roles.owner_me or roles.reader_me,
        "readers:everyone": roles.readers_everyone,
    }
    for term in role_terms:
        if not checks.get(term, False):
            return False
    if not role_terms and not (roles.owner_me or roles.reader_me):
        return False
    haystack = f"{model.get('displayName', '')} {model.get('description', '')}".lower()
    return all(word in haystack for word in free)


@dataclass
class _Job:
    operation: str
    model: str
    total_steps: int
    steps_per_poll: int
    epoch_count: int
    batches_per_epoch: int
    completed: int = 0
    failure: str | None = None
    error: dict[str, Any] | None = None


def _slug(display_name: str) -> str:
    words = re.findall(r"[a-z0-9]+", display_name.lower())
    base = "-".join(words)[:30].strip("-")
    if not base or not base[0].isalpha():
        base = "model" + (f"-{base}" if base else "")
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    return f"{base}-{suffix}"


class TuningStore:
    """Tuned models and their operations, guarded by one lock."""

    def __init__(self) -> None:
        self.tuning_polls = 3
        self.models: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, Roles] = {}
        self.jobs: dict[str, _Job] = {}
        self._fail_next: list[str] = []
        self._lock = threading.RLock()

    def fail_next_tuning(self, message: str) -> None:
        """The next tuning job fails half-way with ``message``."""
        with self._lock:
            self._fail_next.append(message)

    def add(self, model: dict[str, Any], roles: Roles) -> str:
        """Put a ready-made model in the store (state ``ACTIVE`` unless given); its name."""
        with self._lock:
            record = copy.deepcopy(model)
            name = record.get("name") or f"tunedModels/{_slug(record.get('displayName', ''))}"
            now = _now().to_json()
            record.update(name=name, createTime=record.get("createTime", now), updateTime=now)
            record.setdefault("state", "ACTIVE")
            self.models[name] = record
            self.roles[name] = roles
            return str(name)

    def create(self, request: Incoming) -> HttpResponse:
        """``POST tunedModels[?tunedModelId=]``: start a job, answer its Operation."""
        body = request.json()
        check_tuned_model(body, creating=True)
        model_id = request.param("tunedModelId")
        if model_id is not None and _ID_RE.fullmatch(model_id) is None:
            raise ApiFailure(400, f"tunedModelId {model_id!r} does not match {_ID_RE.pattern}.")
        display = body.get("displayName")
        task = body.get("tuningTask") or {}
        examples = (((task.get("trainingData") or {}).get("examples") or {}).get("examples")) or []
        if not examples:
            raise bad_request(
                "tuningTask.trainingData", "tuningTask.trainingData must have at least one example"
            )
        if not body.get("baseModel") and not (body.get("tunedModelSource") or {}).get("tunedModel"):
            raise ApiFailure(400, "Either baseModel or tunedModelSource is required.")
        with self._lock:
            name = f"tunedModels/{model_id or _slug(display or '')}"
            if name in self.models:
                raise ApiFailure(409, f"Tuned model {name} already exists.")
            record = self._new_record(name, body, task, len(examples))
            self.models[name] = record
            self.roles[name] = Roles()
            job = self._new_job(name, record, len(examples))
            self.jobs[job.operation] = job
            return json_response(self._operation(job))

    def _new_record(
        self, name: str, body: dict[str, Any], task: dict[str, Any], n_examples: int
    ) -> dict[str, Any]:
        record = {k: copy.deepcopy(v) for k, v in body.items() if k in _KNOWN}
        source = record.get("tunedModelSource")
        if isinstance(source, dict):
            parent = self.models.get(str(source.get("tunedModel")))
            if parent is None:
                raise ApiFailure(400, f"tunedModelSource {source.get('tunedModel')!r} not found.")
            source["baseModel"] = parent.get("baseModel") or (
                parent.get("tunedModelSource") or {}
            ).get("baseModel")
        hyper = dict(task.get("hyperparameters") or {})
        hyper.setdefault("epochCount", 5)
        hyper.setdefault("batchSize", 4 if n_examples < 500 else 16)
        if "learningRateMultiplier" not in hyper:
            hyper.setdefault("learningRate", 0.001 if n_examples < 500 else 0.0002)
        now = _now().to_json()
        # trainingData is input only: the server never sends it back.
        record.update(
            name=name,
            state="CREATING",
            createTime=now,
            updateTime=now,
            tuningTask={"startTime": now, "hyperparameters": hyper},
        )
        return record

    def _new_job(self, name: str, record: dict[str, Any], n_examples: int) -> _Job:
        hyper = record["tuningTask"]["hyperparameters"]
        epochs = max(1, int(hyper["epochCount"]))
        batches = max(1, math.ceil(n_examples / max(1, int(hyper["batchSize"]))))
        total = epochs * batches
        polls = max(1, self.tuning_polls)
        operation = f"{name}/operations/{secrets.token_hex(4)}-{secrets.token_hex(2)}"
        job = _Job(operation, name, total, math.ceil(total / polls), epochs, batches)
        if self._fail_next:
            job.failure = self._fail_next.pop(0)
        return job

    def _advance(self, job: _Job) -> None:
        if job.error is not None or job.completed >= job.total_steps:
            return
        record = self.models.get(job.model)
        target = min(job.total_steps, job.completed + job.steps_per_poll)
        if job.failure is not None and target * 2 >= job.total_steps:
            job.error = {"code": 13, "message": job.failure}
            if record is not None:
                record["state"] = "FAILED"
            return
        snapshots = [] if record is None else record["tuningTask"].setdefault("snapshots", [])
        for step in range(job.completed + 1, target + 1):
            snapshots.append(
                {
                    "step": step,
                    "epoch": (step - 1) // job.batches_per_epoch + 1,
                    "meanLoss": round(2.0 / (1.0 + step), 6),
                    "computeTime": _now().to_json(),
                }
            )
        job.completed = target
        if record is not None and job.completed >= job.total_steps:
            record["state"] = "ACTIVE"
            record["tuningTask"]["completeTime"] = _now().to_json()
            record["updateTime"] = _now().to_json()

    def _operation(self, job: _Job) -> dict[str, Any]:
        record = self.models.get(job.model, {})
        metadata: dict[str, Any] = {
            "@type": _METADATA_TYPE,
            "tunedModel": job.model,
            "totalSteps": job.total_steps,
            "completedSteps": job.completed,
            "completedPercent": round(100.0 * job.completed / job.total_steps, 3),
            "snapshots": copy.deepcopy(record.get("tuningTask", {}).get("snapshots", [])),
        }
        out: dict[str, Any] = {"name": job.operation, "metadata": metadata}
        if job.error is not None:
            out.update(done=True, error=job.error)
        elif job.completed >= job.total_steps:
            out.update(done=True, response={"@type": _MODEL_TYPE, **copy.deepcopy(record)})
        return out

    def get_operation(self, name: str) -> HttpResponse:
        """``GET tunedModels/{m}/operations/{o}``: one more slice of the job runs first."""
        with self._lock:
            job = self.jobs.get(name)
            if job is None:
                raise ApiFailure(404, f"Operation {name} not found.")
            self._advance(job)
            return json_response(self._operation(job))

    def list_operations(self, request: Incoming, name: str) -> HttpResponse:
        """``GET tunedModels/{m}/operations``: the model's operations, oldest first (paged)."""
        with self._lock:
            self._record(name)
            operations = [self._operation(job) for job in self.jobs.values() if job.model == name]
        page, token = paginate(operations, request.query, default_size=10, max_size=100)
        payload: dict[str, Any] = {"operations": page} if page else {}
        if token:
            payload["nextPageToken"] = token
        return json_response(payload)

    def _record(self, name: str) -> dict[str, Any]:
        record = self.models.get(name)
        if record is None:
            raise ApiFailure(404, f"Tuned model {name} not found.")
        return record

    def get(self, name: str) -> HttpResponse:
        """``GET tunedModels/{m}`` (a get also moves its tuning job on)."""
        with self._lock:
            record = self._record(name)
            for job in self.jobs.values():
                if job.model == name:
                    self._advance(job)
            return json_response(record)

    def require_active(self, name: str) -> None:
        """Refuse generation on a model that is missing or not ``ACTIVE``."""
        with self._lock:
            state = self._record(name).get("state")
        if state != "ACTIVE":
            raise ApiFailure(
                400,
                f"Tuned model {name} is {state}, not ACTIVE.",
            )

    def list(self, request: Incoming) -> HttpResponse:
        """``GET tunedModels``: filter, then page (default 10, at most 1000)."""
        text = request.param("filter") or ""
        with self._lock:
            chosen = [
                copy.deepcopy(record)
                for name, record in self.models.items()
                if matches_filter(record, self.roles.get(name, Roles()), text)
            ]
        page, token = paginate(chosen, request.query, default_size=10, max_size=1000)
        payload: dict[str, Any] = {"tunedModels": page} if page else {}
        if token:
            payload["nextPageToken"] = token
        return json_response(payload)

    def patch(self, request: Incoming, name: str) -> HttpResponse:
        """``PATCH tunedModels/{m}?updateMask=``: only the masked fields change."""
        body = request.json()
        check_tuned_model(body, creating=False)
        raw_mask = request.param("updateMask")
        mask = [p.strip() for p in raw_mask.split(",") if p.strip()] if raw_mask else list(body)
        if len(mask) > len(_KNOWN):
            raise bad_request("updateMask", f"at most {len(_KNOWN)} paths")
        for path in mask:
            if path not in _MUTABLE:
                raise bad_request(
                    "updateMask", f"Invalid update mask path {path!r}: it cannot be updated."
                )
        with self._lock:
            record = self._record(name)
            for path in mask:
                if path in body:
                    record[path] = copy.deepcopy(body[path])
                else:
                    record.pop(path, None)
            record["updateTime"] = _now().to_json()
            return json_response(record)

    def delete(self, name: str) -> HttpResponse:
        """``DELETE tunedModels/{m}``: answers ``{}``."""
        with self._lock:
            self._record(name)
            del self.models[name]
            self.roles.pop(name, None)
        return json_response({})
