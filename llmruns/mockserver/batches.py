"""The mock's batch API: `/v1/files` (purpose `batch`) and `/v1/batches`, as OpenAI serves them.

A batch moves through the provider's statuses by the time since it was created (`validating`,
`in_progress`, `finalizing`, then `completed`, `expired` or `failed`; `cancelling` and
`cancelled` after a cancel), so a poller sees the whole sequence when the completion delay is long
enough. Its answers are made when it completes, by the same respondent as live calls. Line
failures and unanswered lines of an expiring batch are drawn per `custom_id` from the seed, so a
retried request (a new `custom_id`) draws again. The service counts the batches and files created,
which is how tests see that a crash never submitted the same trials twice.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

from llmruns.mockserver.config import MockConfig

BATCH_ENDPOINTS = ("/v1/chat/completions",)
# Share of the completion delay spent in each status before the batch is done.
VALIDATING_SHARE = 0.2
FINALIZING_SHARE = 0.8
CANCELLING_SHARE = 0.2


class BatchAPIError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def as_object(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class StoredBatch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None
    created_at: float
    delay_s: float
    expires: bool
    status: str = "validating"
    cancel_requested_at: float | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"total": 0, "completed": 0, "failed": 0}
    )
    moments: dict[str, int] = field(default_factory=dict)


def _draw(seed: int, custom_id: str, purpose: str) -> float:
    return random.Random(f"{seed}:{purpose}:{custom_id}").random()  # noqa: S311 (a simulation)


def _page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    """A cursor page as the SDK reads it: `after` an id, at most `limit` items."""
    limit = max(1, min(10_000, int((query.get("limit") or ["20"])[0])))
    after = (query.get("after") or [None])[0]
    if after is not None:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    page = items[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(items) > limit,
    }


class BatchService:
    """Files and batches of one mock server, kept in memory.

    `answer(body, config)` answers one chat request body as the live route would, or returns
    (status, error message) for a body the live route would refuse.
    """

    def __init__(self, answer: Callable[[dict[str, Any], MockConfig], dict[str, Any]]) -> None:
        self._answer = answer
        self._lock = threading.RLock()
        self._files: dict[str, StoredFile] = {}
        self._batches: dict[str, StoredBatch] = {}
        self.files_created = 0
        self.batches_created = 0
        self.batches_cancelled = 0

    # -- what tests look at --------------------------------------------------------------------

    def batches(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._object(batch) for batch in self._batches.values()]

    # -- routing -------------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        content_type: str,
        body: bytes,
        config: MockConfig,
    ) -> tuple[int, bytes]:
        """(status, JSON or file body) for a request under /v1/files or /v1/batches."""
        parts = path.strip("/").split("/")[1:]  # without "v1"
        params = parse_qs(query)
        try:
            with self._lock:
                return 200, self._route(method, parts, params, content_type, body, config)
        except BatchAPIError as error:
            payload = {
                "error": {
                    "message": error.message,
                    "type": "invalid_request_error",
                    "param": error.param,
                    "code": None,
                }
            }
            return error.status, json.dumps(payload).encode()

    def _route(
        self,
        method: str,
        parts: list[str],
        params: dict[str, list[str]],
        content_type: str,
        body: bytes,
        config: MockConfig,
    ) -> bytes:
        route = (method, parts[0], len(parts))
        if route == ("POST", "files", 1):
            return self._json(self._upload(content_type, body).as_object())
        if route == ("GET", "files", 1):
            purpose = (params.get("purpose") or [None])[0]
            files = [f.as_object() for f in self._files.values() if purpose in (None, f.purpose)]
            newest_first = (params.get("order") or ["desc"])[0] != "asc"
            files.sort(key=lambda f: (f["created_at"], f["id"]), reverse=newest_first)
            return self._json(_page(files, params))
        if route == ("GET", "files", 2):
            return self._json(self._file(parts[1]).as_object())
        if route == ("DELETE", "files", 2):
            self._files.pop(self._file(parts[1]).id)
            return self._json({"id": parts[1], "object": "file", "deleted": True})
        if route == ("GET", "files", 3) and parts[2] == "content":
            return self._file(parts[1]).content
        if route == ("POST", "batches", 1):
            return self._json(self._object(self._create(body, config)))
        if route == ("GET", "batches", 1):
            for batch in self._batches.values():
                self._advance(batch, config)
            batches = [self._object(b) for b in reversed(self._batches.values())]
            return self._json(_page(batches, params))
        if route == ("GET", "batches", 2):
            batch = self._batch(parts[1])
            self._advance(batch, config)
            return self._json(self._object(batch))
        if route == ("POST", "batches", 3) and parts[2] == "cancel":
            return self._json(self._object(self._cancel(self._batch(parts[1]), config)))
        raise BatchAPIError(404, f"Invalid URL ({method} /v1/{'/'.join(parts)})")

    @staticmethod
    def _json(payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def _file(self, file_id: str) -> StoredFile:
        if file_id not in self._files:
            raise BatchAPIError(404, f"No such File object: {file_id}", param="id")
        return self._files[file_id]

    def _batch(self, batch_id: str) -> StoredBatch:
        if batch_id not in self._batches:
            raise BatchAPIError(404, f"No batch found with id '{batch_id}'.", param="id")
        return self._batches[batch_id]

    def _store_file(self, filename: str, purpose: str, content: bytes) -> StoredFile:
        stored = StoredFile(
            f"file-mock{uuid.uuid4().hex[:20]}", filename, purpose, content, int(time.time())
        )
        self._files[stored.id] = stored
        return stored

    # -- files ---------------------------------------------------------------------------------

    def _upload(self, content_type: str, body: bytes) -> StoredFile:
        if not content_type.startswith("multipart/form-data"):
            raise BatchAPIError(400, "Files are uploaded as multipart/form-data.")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        purpose, filename, content = None, "upload", None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "purpose":
                purpose = part.get_content().strip()
            elif name == "file":
                filename = part.get_filename() or filename
                content = part.get_payload(decode=True)
        if purpose is None:
            raise BatchAPIError(400, "Missing required parameter: 'purpose'.", param="purpose")
        if content is None:
            raise BatchAPIError(400, "Missing required parameter: 'file'.", param="file")
        self.files_created += 1
        return self._store_file(filename, purpose, content)

    # -- batches -------------------------------------------------------------------------------

    def _create(self, body: bytes, config: MockConfig) -> StoredBatch:
        try:
            payload = json.loads(body)
        except json.JSONDecodeError as exc:
            raise BatchAPIError(400, "We could not parse the JSON body of your request.") from exc
        input_file_id = payload.get("input_file_id")
        if not isinstance(input_file_id, str):
            raise BatchAPIError(400, "input_file_id is required", param="input_file_id")
        input_file = self._file(input_file_id)
        if input_file.purpose != "batch":
            raise BatchAPIError(400, "The input file must have purpose 'batch'.", param="purpose")
        if payload.get("endpoint") not in BATCH_ENDPOINTS:
            raise BatchAPIError(400, "Unsupported endpoint for batches.", param="endpoint")
        if payload.get("completion_window") != "24h":
            message = "completion_window must be '24h'."
            raise BatchAPIError(400, message, param="completion_window")
        self.batches_created += 1
        now = time.time()
        batch = StoredBatch(
            id=f"batch_mock{uuid.uuid4().hex[:20]}",
            input_file_id=input_file_id,
            endpoint=payload["endpoint"],
            completion_window="24h",
            metadata=payload.get("metadata"),
            created_at=now,
            delay_s=config.batch_delay_s,
            expires=self.batches_created <= config.batch_expire_first,
        )
        batch.moments["created_at"] = int(now)
        batch.counts["total"] = input_file.content.count(b"\n") + (
            0 if input_file.content.endswith(b"\n") or not input_file.content else 1
        )
        self._batches[batch.id] = batch
        return batch

    def _cancel(self, batch: StoredBatch, config: MockConfig) -> StoredBatch:
        self._advance(batch, config)
        if batch.status in ("validating", "in_progress", "finalizing"):
            batch.status = "cancelling"
            batch.cancel_requested_at = time.time()
            batch.moments["cancelling_at"] = int(batch.cancel_requested_at)
            self.batches_cancelled += 1
        return batch

    def _advance(self, batch: StoredBatch, config: MockConfig) -> None:
        """Move the batch to the status its age says; complete it when it is due."""
        now = time.time()
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            return
        if batch.status == "cancelling":
            if now - (batch.cancel_requested_at or now) >= batch.delay_s * CANCELLING_SHARE:
                batch.status = "cancelled"
                batch.moments["cancelled_at"] = int(now)
            return
        elapsed = now - batch.created_at
        if elapsed < batch.delay_s * VALIDATING_SHARE:
            return
        if batch.status == "validating":
            problem = self._validate(batch)
            if problem is not None:
                batch.status = "failed"
                batch.errors = [problem]
                batch.moments["failed_at"] = int(now)
                return
            batch.status = "in_progress"
            batch.moments["in_progress_at"] = int(now)
        if elapsed < batch.delay_s * FINALIZING_SHARE:
            return
        if batch.status == "in_progress":
            batch.status = "finalizing"
            batch.moments["finalizing_at"] = int(now)
        if elapsed < batch.delay_s:
            return
        self._complete(batch, config)

    def _validate(self, batch: StoredBatch) -> dict[str, Any] | None:
        content = self._files[batch.input_file_id].content
        seen: set[str] = set()
        for number, raw in enumerate(content.splitlines(), start=1):
            try:
                line = json.loads(raw)
                custom_id = line["custom_id"]
                if line.get("url") != batch.endpoint or line.get("method") != "POST":
                    return {"code": "invalid_url", "message": "url or method", "line": number}
                if not isinstance(line.get("body"), dict):
                    return {"code": "invalid_body", "message": "body", "line": number}
            except (json.JSONDecodeError, KeyError, TypeError):
                return {"code": "invalid_json_line", "message": "not JSON", "line": number}
            if custom_id in seen:
                message = f"custom_id {custom_id} is not unique"
                return {"code": "duplicate_custom_id", "message": message, "line": number}
            seen.add(custom_id)
        return None

    def _complete(self, batch: StoredBatch, config: MockConfig) -> None:
        output: list[bytes] = []
        errors: list[bytes] = []
        for raw in self._files[batch.input_file_id].content.splitlines():
            line = json.loads(raw)
            custom_id = line["custom_id"]
            if batch.expires and _draw(config.seed, custom_id, "expire") < (
                config.batch_expire_unanswered
            ):
                continue  # the window closed before this request was run
            request_id = f"req_mock{uuid.uuid4().hex[:20]}"
            if _draw(config.seed, custom_id, "fail") < config.batch_line_failure_rate:
                status, body = (
                    500,
                    {
                        "error": {
                            "message": "The server had an error processing this request (injected "
                            "by the mock server).",
                            "type": "server_error",
                            "param": None,
                            "code": "server_error",
                        }
                    },
                )
            else:
                status, body = self._reply(line["body"], config)
            entry = {
                "id": f"batch_req_mock{uuid.uuid4().hex[:20]}",
                "custom_id": custom_id,
                "response": {"status_code": status, "request_id": request_id, "body": body},
                "error": None,
            }
            encoded = json.dumps(entry, ensure_ascii=False).encode("utf-8")
            (output if status == 200 else errors).append(encoded)
        name = batch.id
        if output:
            batch.output_file_id = self._store_file(
                f"{name}_output.jsonl", "batch_output", b"\n".join(output) + b"\n"
            ).id
        if errors:
            batch.error_file_id = self._store_file(
                f"{name}_error.jsonl", "batch_output", b"\n".join(errors) + b"\n"
            ).id
        batch.counts.update(completed=len(output), failed=len(errors))
        now = int(time.time())
        batch.status = "expired" if batch.expires else "completed"
        batch.moments[f"{batch.status}_at"] = now

    def _reply(self, body: dict[str, Any], config: MockConfig) -> tuple[int, dict[str, Any]]:
        answer = self._answer(body, config)
        if "error" in answer:
            return 400, answer
        return 200, answer

    def _object(self, batch: StoredBatch) -> dict[str, Any]:
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
            "input_file_id": batch.input_file_id,
            "completion_window": batch.completion_window,
            "status": batch.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": int(batch.created_at),
            "expires_at": int(batch.created_at) + 24 * 3600,
            **{
                moment: batch.moments.get(moment)
                for moment in (
                    "in_progress_at",
                    "finalizing_at",
                    "completed_at",
                    "failed_at",
                    "expired_at",
                    "cancelling_at",
                    "cancelled_at",
                )
            },
            "request_counts": dict(batch.counts),
            "metadata": batch.metadata,
        }
