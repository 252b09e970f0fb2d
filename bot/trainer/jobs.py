"""Background jobs of the trainer studio: `train` (a model from the content folder) and `test`
(a registered model against the test stories and the held-out NLU set).

Each job is its own process (`python -m bot.trainer.jobs <folder> <id>`), started by the web
service and not tied to the request that started it, so a page reload or a web-service restart
does not lose it. State lives in plain files under settings.var_dir/"jobs" (0700 folder, 0600
files), readable by every web worker:

    <id>.json     the job: kind, status, who, when, content commit, progress, log tail, result
    <id>.log      everything Rasa printed
    <kind>.lock   held (flock) by the job's process for as long as it runs

One job at a time per kind, also across web workers: `start` takes the kind's lock without
waiting and hands the open lock file to the job's process, which holds it until it exits. So
"is one running?" is "is the lock held?", and a job whose process died (killed, machine
restarted) is noticed by the next reader, which finds the lock free and marks it failed with a
reason instead of leaving it "running" forever.

Rasa runs only as a subprocess of the engine environment (its own `rasa`), with PYTHONPATH on
the project root for the custom components in engine/ and telemetry off.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

KINDS = ("train", "test")
ACTIVE = ("queued", "running")
JOB_ID = re.compile(r"\d{8}T\d{12}-(train|test)-[0-9a-f]{6}")  # microseconds: sorts as made
LOG_TAIL_LINES = 40
KEEP_JOBS = 50  # per kind
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Rasa's graph trainer logs each component it trains (rasa/engine/training/hooks.py).
COMPONENT_STARTED = re.compile(r"Starting to train component '([^']+)'")
COMPONENT_DONE = re.compile(r"(?:Finished training component|Restored component) '([^']+)'")
EPOCH = re.compile(r"Epochs:\s+(\d+)%")
TRAIN_TIMEOUT_SECONDS = 3600
TEST_TIMEOUT_SECONDS = 3600
RASA_FOLDERS = ("domain", "nlu", "stories")


class AlreadyRunning(Exception):
    """A job of that kind is running; `job` is the one."""

    def __init__(self, job: Job) -> None:
        started = _local_clock(job.started_at or job.created_at)
        noun = "a training" if job.kind == "train" else "a test"
        super().__init__(f"{noun} is already running, started by {job.who} at {started}")
        self.job = job


def _local_clock(iso: str) -> str:
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo("Europe/Copenhagen"))
    return f"{moment:%H:%M}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    id: str
    kind: str  # train | test
    who: str  # the trainer's display name
    username: str
    created_at: str
    status: str = "queued"  # queued | running | succeeded | failed
    started_at: str | None = None
    finished_at: str | None = None
    pid: int | None = None
    commit: str = ""  # the content commit trained from (train) or of the model tested (test)
    model_id: str | None = None  # the model trained (train) or tested (test)
    options: dict[str, Any] = field(default_factory=dict)  # test: {"cross_validation": bool}
    step: int = 0  # progress: steps done of `steps`
    steps: int = 0
    progress: str = ""  # what it is doing now, in words
    log_tail: list[str] = field(default_factory=list)
    error: str = ""  # why it failed, with the relevant tail of Rasa's output
    result: dict[str, Any] = field(default_factory=dict)  # test: {"passed": bool, ...}
    config: dict[str, str] = field(default_factory=dict)  # paths the job's process needs

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.step / self.steps)) if self.steps else 0


def _write_json(path: Path, data: Any) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class Jobs:
    """The job folder: start jobs, read them back (noticing dead ones)."""

    def __init__(self, directory: Path, *, rasa: Path, project_root: Path, content_root: Path,
                 models_dir: Path, python: Path | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self.config = {"rasa": str(rasa), "project_root": str(project_root),
                       "content_root": str(content_root), "models_dir": str(models_dir)}
        self.python = Path(python or sys.executable)

    # --- reading --------------------------------------------------------------------------

    def _path(self, job_id: str) -> Path:
        if not JOB_ID.fullmatch(job_id):
            raise KeyError(job_id)
        return self.directory / f"{job_id}.json"

    def _load(self, job_id: str) -> Job | None:
        try:
            path = self._path(job_id)
            return Job(**json.loads(path.read_text(encoding="utf-8")))
        except (KeyError, FileNotFoundError, json.JSONDecodeError, TypeError):
            return None

    def get(self, job_id: str) -> Job | None:
        job = self._load(job_id)
        return self._noticed_dead(job) if job else None

    def recent(self, limit: int = 20, kind: str | None = None) -> list[Job]:
        """The newest jobs first (ids start with the time they were made)."""
        names = sorted((p.name.removesuffix(".json") for p in self.directory.glob("*.json")
                        if JOB_ID.fullmatch(p.name.removesuffix(".json"))), reverse=True)
        found = []
        for name in names:
            if kind and f"-{kind}-" not in name:
                continue
            job = self.get(name)
            if job:
                found.append(job)
            if len(found) >= limit:
                break
        return found

    def running(self, kind: str) -> Job | None:
        """The active job of that kind, if its process still holds the lock."""
        for job in self.recent(limit=5, kind=kind):
            if job.active:
                return job
        return None

    def log(self, job_id: str) -> str:
        self._path(job_id)  # KeyError for a malformed id
        path = self.directory / f"{job_id}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def _noticed_dead(self, job: Job) -> Job:
        """A job still marked active whose process no longer holds the kind's lock died
        without finishing: mark it failed, once, with the reason."""
        if not job.active:
            return job
        with self._lock_file(job.kind) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return job  # held: its process is alive
            try:
                job = self._load(job.id) or job  # it may have just finished
                if job.active:
                    self._mark_dead(job)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return job

    def _mark_dead(self, job: Job) -> None:
        job.status, job.finished_at = "failed", _now()
        job.error = ("the job's process ended without finishing (the web service or the "
                     "machine was restarted, or it was killed); start it again")
        _write_json(self._path(job.id), asdict(job))

    @contextlib.contextmanager
    def _lock_file(self, kind: str) -> Iterator[Any]:
        if kind not in KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        fd = os.open(self.directory / f"{kind}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+") as handle:
            yield handle

    # --- starting -------------------------------------------------------------------------

    def _try_lock(self, handle: Any, kind: str) -> bool:
        """The kind's lock, without waiting for a running job. A job that has just written its
        last state still holds the lock for the moment its process takes to exit: when no job
        is active any more, wait that moment out (up to 3 s) instead of refusing."""
        for _ in range(30):
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if any(job.active for job in self._recent_files(kind)):
                    return False
                time.sleep(0.1)
        return False

    def _prune(self, kind: str) -> None:
        """Keep the newest KEEP_JOBS jobs of a kind; older ones' files go (the audit log and
        the registry keep what matters)."""
        names = sorted((p.name.removesuffix(".json") for p in self.directory.glob(f"*-{kind}-*.json")
                        if JOB_ID.fullmatch(p.name.removesuffix(".json"))), reverse=True)
        for name in names[KEEP_JOBS:]:
            for suffix in (".json", ".log", ".audited"):
                (self.directory / f"{name}{suffix}").unlink(missing_ok=True)

    def _recent_files(self, kind: str) -> list[Job]:
        """The newest jobs of a kind as their files say (without the liveness check)."""
        names = sorted((p.name.removesuffix(".json") for p in self.directory.glob(f"*-{kind}-*.json")
                        if JOB_ID.fullmatch(p.name.removesuffix(".json"))), reverse=True)[:5]
        return [job for job in map(self._load, names) if job]

    def start(self, kind: str, *, who: str, username: str, model_id: str | None = None,
              options: dict[str, Any] | None = None) -> Job:
        """Start a job in its own process; AlreadyRunning if one of that kind runs."""
        if kind == "test" and not model_id:
            raise ValueError("a test job needs the model to test")
        with self._lock_file(kind) as handle:
            if not self._try_lock(handle, kind):
                running = self.running(kind)
                if running is None:  # the lock is held but the job file not written yet
                    running = Job(id="", kind=kind, who="someone", username="",
                                  created_at=_now())
                raise AlreadyRunning(running) from None
            for stale in self.recent(limit=5, kind=kind):  # the lock is ours: none is alive
                if stale.active:
                    self._mark_dead(stale)
            job = Job(id=f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{kind}-{secrets.token_hex(3)}",
                      kind=kind, who=who, username=username, created_at=_now(),
                      model_id=model_id, options=dict(options or {}), config=self.config)
            _write_json(self._path(job.id), asdict(job))
            self._prune(kind)
            log = os.open(self.directory / f"{job.id}.log", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                # The child inherits the open lock file (pass_fds), so the lock stays held for
                # exactly as long as the job's process lives.
                process = subprocess.Popen(
                    [str(self.python), "-m", "bot.trainer.jobs", str(self.directory), job.id,
                     str(handle.fileno())],
                    pass_fds=(handle.fileno(),), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                    cwd=self.config["project_root"],
                    env={**os.environ, "PYTHONPATH": self.config["project_root"]})
            except OSError as error:
                job.status, job.finished_at = "failed", _now()
                job.error = f"the job could not be started: {error}"
                _write_json(self._path(job.id), asdict(job))
                return job
            finally:
                os.close(log)
            # Reap it when it ends, so no zombie waits for the web service to exit.
            threading.Thread(target=process.wait, daemon=True).start()
        return self.get(job.id) or job


# --- inside the job's process -----------------------------------------------------------------


class JobFailed(Exception):
    pass


class Run:
    """One job being worked on: updates its file as it goes."""

    def __init__(self, directory: Path, job_id: str) -> None:
        self.jobs_dir = Path(directory)
        self.path = self.jobs_dir / f"{job_id}.json"
        self.job = Job(**json.loads(self.path.read_text(encoding="utf-8")))
        self.log_path = self.jobs_dir / f"{job_id}.log"
        self.rasa = Path(self.job.config["rasa"])
        self.project_root = Path(self.job.config["project_root"])
        self.content_root = Path(self.job.config["content_root"])
        self.models_dir = Path(self.job.config["models_dir"])

    def cache_dir(self) -> Path:
        """Rasa's training cache, shared by the jobs so an unchanged component is restored
        instead of retrained. Rasa's cache key does not see our components' code (engine/), so
        the folder is per version of that code: an upgrade never restores a stale component."""
        import hashlib

        code = hashlib.sha256()
        for path in sorted((self.project_root / "engine").glob("*.py")):
            code.update(path.name.encode() + b"\0" + path.read_bytes())
        folder = self.jobs_dir.parent / "rasa-cache" / code.hexdigest()[:12]
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    def save(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.job, name, value)
        _write_json(self.path, asdict(self.job))

    def rasa_command(self, arguments: list[str], *, cwd: Path, timeout: int,
                     on_line: Callable[[str], None] | None = None) -> tuple[int, list[str]]:
        """Run the engine's rasa; its exit code and output lines (also appended to the log)."""
        env = {"RASA_CACHE_DIRECTORY": str(self.cache_dir()), **os.environ,
               "PYTHONPATH": str(self.project_root), "RASA_TELEMETRY_ENABLED": "false",
               "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
        lines: list[str] = []
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"$ rasa {' '.join(arguments)}\n")
            log.flush()
            try:
                process = subprocess.Popen([str(self.rasa), *arguments], cwd=cwd, env=env,
                                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, text=True, errors="replace",
                                           bufsize=1)
            except OSError as error:
                raise JobFailed(f"rasa could not be started: {error}") from None
            timer = threading.Timer(timeout, process.kill)
            timer.start()
            try:
                assert process.stdout is not None
                for raw in process.stdout:
                    line = ANSI.sub("", raw.rstrip("\n"))
                    log.write(line + "\n")
                    log.flush()
                    lines.append(line)
                    if on_line:
                        on_line(line)
                code = process.wait()
            finally:
                timer.cancel()
        self.save(log_tail=_meaningful_tail(lines))
        return code, lines

    # --- train ----------------------------------------------------------------------------

    def train(self) -> None:
        from bot.trainer.registry import Registry

        with tempfile.TemporaryDirectory(prefix="samtale-train-") as scratch:
            folder = Path(scratch) / "content"
            commit = snapshot(self.content_root, self.project_root, folder)
            steps = _trainable_components(folder / "config.yml")
            self.save(commit=commit, steps=steps, progress="reading the training data")

            def progress(line: str) -> None:
                if found := COMPONENT_STARTED.search(line):
                    self.save(progress=f"training {found.group(1)}")
                elif found := COMPONENT_DONE.search(line):
                    step = self.job.step + 1  # the count is an estimate: never past the end
                    self.save(step=step, steps=max(self.job.steps, step),
                              progress=f"trained {found.group(1)}")
                elif found := EPOCH.search(line):
                    self.save(progress=f"{self.job.progress.split(' (')[0]} ({found.group(1)}%)")

            out = Path(scratch) / "out"
            code, lines = self.rasa_command(
                ["train", "--data", "nlu", "stories", "--domain", "domain", "--config",
                 "config.yml", "--out", str(out), "--fixed-model-name", "trained"],
                cwd=folder, timeout=TRAIN_TIMEOUT_SECONDS, on_line=progress)
            model = out / "trained.tar.gz"
            if code != 0 or not model.exists():
                raise JobFailed(_rasa_error("rasa train", code, lines))
            record = Registry(self.models_dir).add(model, commit=commit, by=self.job.who)
        self.save(model_id=record.id, step=max(self.job.steps, self.job.step),
                  steps=max(self.job.steps, self.job.step),
                  progress=f"trained model {record.id}", result={"model_id": record.id})
        # Every new model is tested at once: only a tested model can be deployed.
        jobs = Jobs(self.jobs_dir, rasa=self.rasa, project_root=self.project_root,
                    content_root=self.content_root, models_dir=self.models_dir)
        try:
            test = jobs.start("test", who=self.job.who, username=self.job.username,
                              model_id=record.id, options=self.job.options)
            self.save(result={**self.job.result, "test_job": test.id})
        except AlreadyRunning as busy:
            self.save(result={**self.job.result, "test_job": None, "test_not_started": str(busy)})

    # --- test -----------------------------------------------------------------------------

    def test(self) -> None:
        from bot.trainer import report as reports
        from bot.trainer.registry import Registry

        registry = Registry(self.models_dir)
        record = registry.get(self.job.model_id or "")
        if record is None or not registry.path(record.id).exists():
            raise JobFailed(f"there is no model {self.job.model_id}")
        model = registry.path(record.id)
        cross_validation = bool(self.job.options.get("cross_validation"))
        languages = held_out_files(self.content_root, self.project_root)
        stories = test_stories(self.content_root, self.project_root)
        steps = 1 + len(languages) + (1 if cross_validation else 0)
        self.save(commit=record.commit, steps=steps, step=0)
        with tempfile.TemporaryDirectory(prefix="samtale-test-") as scratch:
            folder = Path(scratch) / "content"
            snapshot(self.content_root, self.project_root, folder)
            outputs = Path(scratch) / "results"

            self.save(progress="testing the stories")
            code, lines = self.rasa_command(
                ["test", "core", "--stories", str(stories), "--model", str(model), "--out",
                 str(outputs / "stories"), "--no-plot"],
                cwd=folder, timeout=TEST_TIMEOUT_SECONDS)
            if code != 0 or not (outputs / "stories").is_dir():
                raise JobFailed(_rasa_error("rasa test core", code, lines))
            self.save(step=1)

            for language, held_out in languages.items():
                self.save(progress=f"evaluating the held-out {language} messages")
                code, lines = self.rasa_command(
                    ["test", "nlu", "--nlu", str(held_out), "--model", str(model), "--out",
                     str(outputs / f"nlu-{language}"), "--successes", "--no-plot"],
                    cwd=folder, timeout=TEST_TIMEOUT_SECONDS)
                if code != 0 or not (outputs / f"nlu-{language}" / "intent_report.json").exists():
                    raise JobFailed(_rasa_error(f"rasa test nlu ({language})", code, lines))
                self.save(step=self.job.step + 1)

            if cross_validation:
                self.save(progress="cross-validating nlu/ (3 folds)")
                code, lines = self.rasa_command(
                    ["test", "nlu", "--nlu", "nlu", "--config", "config.yml",
                     "--cross-validation", "--folds", "3", "--out", str(outputs / "cv"),
                     "--no-plot"], cwd=folder, timeout=TEST_TIMEOUT_SECONDS)
                if code != 0:
                    raise JobFailed(_rasa_error("rasa test nlu --cross-validation", code, lines))
                self.save(step=self.job.step + 1)

            found = reports.build(outputs, languages=list(languages),
                                  cross_validation=cross_validation)
        found["model_id"] = record.id
        found["commit"] = record.commit
        found["job_id"] = self.job.id
        registry.record_test(record.id, found, passed=found["passed"])
        self.save(progress="tests passed" if found["passed"] else "tests failed",
                  result={"passed": found["passed"], "summary": found["summary"]})


def snapshot(content_root: Path, project_root: Path, target: Path) -> str:
    """Copy what Rasa reads from the content folder into target (so a save during the job does
    not mix into it); the content commit (git rev-parse HEAD), "" if not a git folder."""
    target.mkdir(parents=True)
    for folder in RASA_FOLDERS:
        if (content_root / folder).is_dir():
            shutil.copytree(content_root / folder, target / folder, symlinks=False)
    if not (content_root / "config.yml").is_file():
        raise JobFailed(f"{content_root} has no config.yml")
    shutil.copy2(content_root / "config.yml", target / "config.yml")
    # config.yml names the spaCy data relative to the folder Rasa runs in (var/spacy/...).
    for base in (content_root, project_root):
        if (base / "var" / "spacy").is_dir():
            (target / "var").mkdir()
            (target / "var" / "spacy").symlink_to((base / "var" / "spacy").resolve())
            break
    done = subprocess.run(["git", "-C", str(content_root), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def held_out_files(content_root: Path, project_root: Path) -> dict[str, Path]:
    """{language: tests/nlu/held_out_<language>.yml}, from the content folder if it has them,
    else the project's."""
    for base in (content_root, project_root):
        found = {path.stem.removeprefix("held_out_"): path
                 for path in sorted((base / "tests" / "nlu").glob("held_out_*.yml"))}
        if found:
            return found
    return {}


def test_stories(content_root: Path, project_root: Path) -> Path:
    for base in (content_root, project_root):
        if (base / "tests" / "stories").is_dir():
            return base / "tests" / "stories"
    raise JobFailed("there are no test stories (tests/stories)")


def _trainable_components(config: Path) -> int:
    """About how many components Rasa will train: the pipeline's and the policies'."""
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        return len(data.get("pipeline") or []) + len(data.get("policies") or [])
    except (OSError, yaml.YAMLError):
        return 0


# The last line of a traceback: "rasa.shared.exceptions.InvalidDomain: ...", "ValueError: ...".
RAISED = re.compile(r"^(?:[a-z_]\w*\.)*[A-Z]\w*: \S")
NOISE = re.compile(r"(Epochs:|it/s\]|s/it\]|^\s*$|DeprecationWarning|warnings\.warn)")


def _meaningful_tail(lines: list[str], count: int = LOG_TAIL_LINES) -> list[str]:
    return [line for line in lines if not NOISE.search(line)][-count:]


def _rasa_error(what: str, code: int, lines: list[str]) -> str:
    """Rasa's own error: from the traceback's last line or the ERROR lines, with the tail."""
    tail = _meaningful_tail(lines, 25)
    raised = [line for line in lines if RAISED.match(line) and "Warning:" not in line]
    errors = [line for line in lines if re.search(r"\bERROR\b|Error:|error:", line)]
    headline = (raised or errors or [f"exit code {code}"])[-1].strip()
    return "\n".join([f"{what} failed: {headline}", "", *tail])


def run_job(directory: Path, job_id: str) -> int:
    run = Run(directory, job_id)
    run.save(status="running", started_at=_now(), pid=os.getpid())
    try:
        {"train": run.train, "test": run.test}[run.job.kind]()
    except JobFailed as error:
        run.save(status="failed", finished_at=_now(), error=str(error))
        return 1
    except Exception as error:  # noqa: BLE001 - the job file must say why, whatever it was
        import traceback

        traceback.print_exc()
        run.save(status="failed", finished_at=_now(),
                 error=f"the job failed: {type(error).__name__}: {error}")
        return 1
    run.save(status="succeeded", finished_at=_now())
    return 0


if __name__ == "__main__":
    # argv: <jobs folder> <job id> <fd of the kind's lock, inherited; held until we exit>
    sys.exit(run_job(Path(sys.argv[1]), sys.argv[2]))
