"""The trained models the studio knows, their test results, and which one is deployed.

Plain files in one folder (settings.var_dir / "models", 0700), so every web worker and every
reload sees the same state and nothing hides in a process:

    <id>.tar.gz        the model Rasa trained
    <id>.json          its record: content commit, who trained it, test result
    deployments.json   every deploy and rollback, newest last; the last one is what is served

Writes are atomic (temp file + os.replace) and serialised by a flock, across processes. Only a
model whose tests passed can be deployed; Rasa's workers pull the deployed one from the web
service (bot/web/trainer/model_server.py), so a deploy reaches every worker.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MODEL_ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")


# The model `make` trained (models/samtale.tar.gz): what is served while nothing is deployed.
BASELINE_NAME = "samtale.tar.gz"


class NotDeployable(Exception):
    """The model cannot be deployed (unknown, untested, or its tests failed); says which."""


@dataclass
class ModelRecord:
    id: str
    created_at: str  # ISO 8601, UTC
    commit: str  # the content commit it was trained from ("" if unknown)
    trained_by: str
    sha256: str
    size: int
    status: str = "trained"  # trained | passed | failed
    test: dict[str, Any] | None = None  # the test job's report (summary figures, failures)
    tested_at: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ServedModel:
    """The model file Rasa's workers should run, and how they recognise it."""

    path: Path
    sha256: str
    filename: str  # Rasa names the downloaded file so; its /status shows it as model_file
    model_id: str | None  # None: the baseline model `make` trained

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'


# The baseline's digest, by (inode, mtime, size): Rasa's workers ask every few seconds and a
# model is tens of MB; `make train` writes a new file (new mtime), which is hashed once.
_baseline_digests: dict[tuple[int, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a file, remembered while the file is unchanged."""
    stat = path.stat()
    key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if key not in _baseline_digests:
        _baseline_digests[key] = _sha256(path)
    return _baseline_digests[key]


def _write_json(path: Path, data: Any) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
    os.replace(temporary, path)


class Registry:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.directory / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- models ---------------------------------------------------------------------------

    def path(self, model_id: str) -> Path:
        if not MODEL_ID.fullmatch(model_id):
            raise KeyError(model_id)
        return self.directory / f"{model_id}.tar.gz"

    def add(self, model_file: Path, *, commit: str, by: str) -> ModelRecord:
        """Move a freshly trained model in (the file is moved, not copied) and record it."""
        sha = _sha256(model_file)
        model_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{sha[:8]}"
        target = self.path(model_id)
        shutil.move(str(model_file), target)
        os.chmod(target, 0o600)
        record = ModelRecord(id=model_id, created_at=_now(), commit=commit, trained_by=by,
                             sha256=sha, size=target.stat().st_size)
        with self._locked():
            _write_json(self.directory / f"{model_id}.json", asdict(record))
        return record

    def get(self, model_id: str) -> ModelRecord | None:
        try:
            path = self.path(model_id).with_suffix("").with_suffix(".json")
        except KeyError:
            return None
        if not path.exists():
            return None
        return ModelRecord(**json.loads(path.read_text(encoding="utf-8")))

    def models(self) -> list[ModelRecord]:
        """Every model, newest first."""
        found = (self.get(p.name.removesuffix(".json")) for p in self.directory.glob("*.json")
                 if MODEL_ID.fullmatch(p.name.removesuffix(".json")))
        return sorted((m for m in found if m), key=lambda m: m.id, reverse=True)

    def record_test(self, model_id: str, report: dict[str, Any], *, passed: bool) -> ModelRecord:
        with self._locked():
            record = self.get(model_id)
            if record is None:
                raise KeyError(model_id)
            record.test, record.tested_at = report, _now()
            record.status = "passed" if passed else "failed"
            _write_json(self.directory / f"{model_id}.json", asdict(record))
        return record

    # --- deployment -----------------------------------------------------------------------

    def deployments(self) -> list[dict[str, Any]]:
        """Every deploy and rollback, oldest first: {model_id, at, by, action}. A model_id of
        "" is a rollback to the baseline model `make` trained (models/samtale.tar.gz)."""
        path = self.directory / "deployments.json"
        if not path.exists():
            return []
        return json.loads(path.read_text(encoding="utf-8"))

    def current(self) -> ModelRecord | None:
        """The deployed model; None while the bot still runs the model `make` trained."""
        history = self.deployments()
        return self.get(history[-1]["model_id"]) if history else None

    def served(self, baseline: Path) -> ServedModel | None:
        """The deployed model, or while nothing is deployed the baseline; None if neither exists
        (the model server then answers 404, which Rasa takes as "no model yet")."""
        record = self.current()
        if record is not None and self.path(record.id).exists():
            return ServedModel(self.path(record.id), record.sha256, f"{record.id}.tar.gz",
                               record.id)
        if baseline.is_file():
            return ServedModel(baseline, file_digest(baseline), BASELINE_NAME, None)
        return None

    def deploy(self, model_id: str, *, by: str, action: str = "deploy") -> ModelRecord:
        with self._locked():
            record = self.get(model_id)
            if record is None or not self.path(model_id).exists():
                raise NotDeployable(f"there is no model {model_id}")
            if not record.passed:
                raise NotDeployable(
                    f"model {model_id} has not passed its tests (status: {record.status})")
            history = self.deployments()
            history.append({"model_id": model_id, "at": _now(), "by": by, "action": action})
            _write_json(self.directory / "deployments.json", history)
        return record

    def rollback(self, *, by: str) -> ModelRecord | None:
        """Deploy the previous model again (see previous()); when the current model was the
        first one deployed, return to the baseline `make` trained: None then."""
        with self._locked():
            if self.current() is None:
                raise NotDeployable("nothing is deployed: the bot already runs the model "
                                    f"`make` trained ({BASELINE_NAME})")
            previous = self.previous()
            if previous is not None and not self.path(previous.id).exists():
                raise NotDeployable(f"the file of model {previous.id} is gone")
            history = self.deployments()
            history.append({"model_id": previous.id if previous else "", "at": _now(),
                            "by": by, "action": "rollback"})
            _write_json(self.directory / "deployments.json", history)
        return previous

    def previous(self) -> ModelRecord | None:
        """The model deployed before the current one (what Roll back returns to).

        The history is read as a stack: a deploy puts a model on top, a rollback takes the top
        one off. So after deploying A, B and rolling back to A, Roll back does not offer B
        again (the model just rolled back from) but whatever came before A.
        """
        stack: list[str] = []
        for entry in self.deployments():
            if entry.get("action") == "rollback" and stack:
                stack.pop()
                if not stack or stack[-1] != entry["model_id"]:
                    stack.append(entry["model_id"])
            else:
                stack.append(entry["model_id"])
        current = stack[-1] if stack else None
        for model_id in reversed(stack[:-1]):
            if model_id != current:
                return self.get(model_id)
        return None
