"""The job runner (bot/trainer/jobs.py) with a stand-in for rasa that is a real process: progress
from Rasa's output, a model in the registry with its content commit, the test job that follows,
Rasa's error on failure, one job per kind also across processes, and recovery after the job's
process died."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ROOT
from bot.trainer.jobs import AlreadyRunning, Jobs
from bot.trainer.registry import Registry
from tests.trainer.conftest import FAKE_RASA, wait_for


def head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def calls(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]


def test_a_training_registers_the_model_and_its_test_job_records_the_result(
        fake_jobs: Jobs, tmp_path: Path) -> None:
    job = fake_jobs.start("train", who="Lise Træner", username="lise")
    assert job.kind == "train" and job.who == "Lise Træner" and job.status in ("queued", "running")
    done = wait_for(fake_jobs, job.id)
    assert done.status == "succeeded", done.error
    assert done.commit == head(Path(fake_jobs.config["content_root"]))
    # progress: the components Rasa reported, out of the pipeline's + policies' count (3)
    assert done.step >= 4 and done.steps == done.step
    assert "RulePolicy" in done.progress or done.progress.startswith("trained model")
    assert any("Finished training component 'LinearIntentClassifier'" in line
               for line in done.log_tail)
    registry = Registry(tmp_path / "var" / "models")
    [model] = registry.models()
    assert done.model_id == model.id and model.commit == done.commit
    assert model.trained_by == "Lise Træner"
    test_job = wait_for(fake_jobs, done.result["test_job"])
    assert test_job.kind == "test" and test_job.status == "succeeded", test_job.error
    assert test_job.model_id == model.id and test_job.result["passed"] is True
    model = registry.get(model.id)
    assert model.status == "passed" and model.passed
    assert model.test["nlu"]["da"]["intents"]["greet"]["f1"] == 1.0
    assert model.test["stories"]["failed"] == []
    # Rasa ran from a snapshot of the content, with the project on PYTHONPATH, telemetry off
    train_call, *test_calls = calls(tmp_path)
    assert train_call["args"][:8] == ["train", "--data", "nlu", "stories", "--domain", "domain",
                                      "--config", "config.yml"]
    assert train_call["pythonpath"] == str(ROOT) and train_call["telemetry"] == "false"
    assert train_call["cwd"] != fake_jobs.config["content_root"]
    assert [c["args"][:2] for c in test_calls] == [["test", "core"], ["test", "nlu"],
                                                   ["test", "nlu"]]
    assert str(ROOT / "tests" / "nlu" / "held_out_da.yml") in test_calls[1]["args"]
    # the state is private: 0700 folder, 0600 files
    folder = fake_jobs.directory
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}


def test_a_failed_training_keeps_rasas_error(fake_jobs: Jobs, monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "fail")
    done = wait_for(fake_jobs, fake_jobs.start("train", who="Lise", username="lise").id)
    assert done.status == "failed"
    assert done.error.startswith("rasa train failed: rasa.shared.exceptions.InvalidDomain")
    assert "duplicate response 'utter_greet'" in done.error
    assert "Traceback (most recent call last):" in done.error  # the tail, for the details
    assert Registry(tmp_path / "var" / "models").models() == []
    assert "InvalidDomain" in fake_jobs.log(done.id)


def test_a_failed_story_fails_the_model(fake_jobs: Jobs, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    done = wait_for(fake_jobs, fake_jobs.start("train", who="Lise", username="lise").id)
    monkeypatch.setenv("FAKE_RASA_MODE", "badstory")
    wait_for(fake_jobs, done.result["test_job"])  # the automatic test (mode ok) first
    again = wait_for(fake_jobs, fake_jobs.start("test", who="Lise", username="lise",
                                                model_id=done.model_id).id)
    assert again.status == "succeeded" and again.result["passed"] is False
    record = Registry(tmp_path / "var" / "models").get(done.model_id)
    assert record.status == "failed" and not record.passed
    [story] = record.test["stories"]["failed"]
    assert story["name"] == "gift <script>alert(1)</script>" and story["file"] == "t.yml"
    assert "# predicted: action_listen" in story["text"]
    assert record.test["criteria"][0] == {"name": "stories", "passed": False,
                                          "text": "no failed test story (1 failed)"}


def test_cross_validation_is_an_option_of_the_test(fake_jobs: Jobs, tmp_path: Path) -> None:
    done = wait_for(fake_jobs, fake_jobs.start("train", who="Lise", username="lise",
                                               options={"cross_validation": True}).id)
    test = wait_for(fake_jobs, done.result["test_job"])
    assert test.options == {"cross_validation": True} and test.steps == 4
    *_, cv_call = calls(tmp_path)
    assert cv_call["args"][:4] == ["test", "nlu", "--nlu", "nlu"]
    assert "--cross-validation" in cv_call["args"] and "3" in cv_call["args"]
    report = Registry(tmp_path / "var" / "models").get(done.model_id).test
    assert report["cross_validation"]["macro_f1"] == 1.0
    assert report["summary"].endswith("· cross-validation 1.000")
    assert [c["name"] for c in report["criteria"]] == ["stories", "nlu-da", "nlu-en"]  # info only


def test_one_job_per_kind_also_from_another_process(fake_jobs: Jobs, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "wait")
    monkeypatch.setenv("FAKE_RASA_GO", str(tmp_path / "go"))
    first = fake_jobs.start("train", who="Lise Træner", username="lise")
    wait_for(fake_jobs, first.id, until=lambda job: job.status == "running")
    with pytest.raises(AlreadyRunning) as refused:
        fake_jobs.start("train", who="Ole", username="ole")
    assert str(refused.value).startswith("a training is already running, started by Lise Træner at ")
    assert refused.value.job.id == first.id
    # another web worker: a separate process with its own Jobs on the same folder
    other = subprocess.run([sys.executable, "-c", (
        "import sys; from pathlib import Path; from bot.trainer.jobs import Jobs, AlreadyRunning\n"
        f"jobs = Jobs(Path({str(fake_jobs.directory)!r}), rasa=Path({str(FAKE_RASA)!r}), "
        f"project_root=Path({str(ROOT)!r}), content_root=Path({fake_jobs.config['content_root']!r}), "
        f"models_dir=Path({fake_jobs.config['models_dir']!r}))\n"
        "try:\n    jobs.start('train', who='Ole', username='ole')\n"
        "except AlreadyRunning as e:\n    print(e)\n    sys.exit(3)\n")],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert other.returncode == 3, other.stderr
    assert "a training is already running, started by Lise Træner" in other.stdout
    (tmp_path / "go").touch()
    assert wait_for(fake_jobs, first.id).status == "succeeded"
    # once it is done, the next one starts
    monkeypatch.setenv("FAKE_RASA_MODE", "ok")
    wait_for(fake_jobs, wait_for(fake_jobs, first.id).result["test_job"])
    second = fake_jobs.start("train", who="Ole", username="ole")
    assert wait_for(fake_jobs, second.id).status == "succeeded"


def test_a_job_whose_process_died_is_marked_failed_not_left_running(
        fake_jobs: Jobs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "wait")
    monkeypatch.setenv("FAKE_RASA_GO", str(tmp_path / "go"))
    job = wait_for(fake_jobs, fake_jobs.start("train", who="Lise", username="lise").id,
                   until=lambda job: job.status == "running" and job.pid)
    assert fake_jobs.running("train").id == job.id
    os.kill(job.pid, signal.SIGKILL)  # as a restart of the machine or the service would
    # a new reader (a restarted web service) sees it failed, with the reason
    restarted = Jobs(fake_jobs.directory, rasa=FAKE_RASA, project_root=ROOT,
                     content_root=Path(fake_jobs.config["content_root"]),
                     models_dir=Path(fake_jobs.config["models_dir"]))
    dead = wait_for(restarted, job.id)
    assert dead.status == "failed" and "ended without finishing" in dead.error
    assert restarted.running("train") is None
    (tmp_path / "go").touch()  # let the orphaned fake rasa end
    monkeypatch.setenv("FAKE_RASA_MODE", "ok")
    assert wait_for(restarted, restarted.start("train", who="Ole", username="ole").id
                    ).status == "succeeded"


def test_only_the_newest_jobs_of_a_kind_are_kept(fake_jobs: Jobs,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.trainer import jobs as jobs_module

    monkeypatch.setattr(jobs_module, "KEEP_JOBS", 2)
    monkeypatch.setenv("FAKE_RASA_MODE", "fail")  # quick, and no test job follows
    ids = [wait_for(fake_jobs, fake_jobs.start("train", who="Lise", username="lise").id).id
           for _ in range(3)]
    assert [job.id for job in fake_jobs.recent(kind="train")] == ids[:0:-1]
    assert not (fake_jobs.directory / f"{ids[0]}.log").exists()


def test_unknown_kinds_and_ids_are_refused(fake_jobs: Jobs) -> None:
    with pytest.raises(ValueError):
        fake_jobs.start("deploy", who="Lise", username="lise")
    with pytest.raises(ValueError):
        fake_jobs.start("test", who="Lise", username="lise")  # which model?
    assert fake_jobs.get("../../etc/passwd") is None
    with pytest.raises(KeyError):
        fake_jobs.log("../x")
