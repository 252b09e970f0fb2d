"""Fixtures of the trainer's job runner: a content folder in its own git repository and a Jobs
whose `rasa` is tests/trainer/fake_rasa.py (a real process; FAKE_RASA_MODE picks its behaviour)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import ROOT
from bot.trainer.jobs import Job, Jobs

FAKE_RASA = Path(__file__).resolve().parent / "fake_rasa.py"
GIT_ENV = {"GIT_AUTHOR_NAME": "Samtale", "GIT_AUTHOR_EMAIL": "dev@samtale.invalid",
           "GIT_COMMITTER_NAME": "Samtale", "GIT_COMMITTER_EMAIL": "dev@samtale.invalid",
           "PATH": "/usr/bin:/bin"}


def small_content(target: Path) -> Path:
    """A git work tree with a config.yml, a domain, one NLU file and a story (fake Rasa only
    looks at the paths; the real training in tests/web uses a copy of the real content)."""
    for folder in ("domain", "nlu", "stories"):
        (target / folder).mkdir(parents=True)
    (target / "config.yml").write_text("pipeline:\n- name: A\n- name: B\npolicies:\n- name: C\n")
    (target / "domain" / "d.yml").write_text("version: '3.1'\n")
    (target / "nlu" / "n.yml").write_text("version: '3.1'\n")
    (target / "stories" / "s.yml").write_text("version: '3.1'\n")
    for command in (["git", "init", "-q", "-b", "content"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "-m", "content"]):
        subprocess.run(command, cwd=target, env={**GIT_ENV, "HOME": str(target)}, check=True)
    return target


def end_jobs(jobs: Jobs) -> None:
    """After a test, even a failed one: no job process (nor its fake rasa) is left behind.
    Each job's process leads its own process group (start_new_session)."""
    for job in jobs.recent(limit=50):
        if job.active and not job.pid:  # just started: wait for its process to say who it is
            job = wait_for(jobs, job.id, timeout=10, until=lambda job: job.pid or not job.active)
        if job.active and job.pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(job.pid, signal.SIGKILL)


@pytest.fixture
def fake_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Jobs]:
    monkeypatch.setenv("FAKE_RASA_CALLS", str(tmp_path / "calls.jsonl"))
    monkeypatch.setenv("FAKE_RASA_MODE", "ok")
    content = small_content(tmp_path / "content")
    jobs = Jobs(tmp_path / "var" / "jobs", rasa=FAKE_RASA, project_root=ROOT,
                content_root=content, models_dir=tmp_path / "var" / "models")
    yield jobs
    end_jobs(jobs)


def wait_for(jobs: Jobs, job_id: str, *, timeout: float = 60, until: Any = None) -> Job:
    """The job once it is no longer active (or once until(job) holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        assert job is not None
        if (until(job) if until else not job.active):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {jobs.get(job_id)}")
