"""The Models page (/trainer/models): starting train and test jobs, their progress and errors,
one at a time, the report with its confusion matrix and the comparison with the deployed model,
permissions and CSRF. Jobs run tests/trainer/fake_rasa.py (a real process standing in for rasa)
except in the last test, which trains and tests a real model with the engine's Rasa."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup

from bot.settings import ROOT
from bot.store import migrate
from bot.trainer.jobs import Jobs
from bot.trainer.registry import Registry
from tests.trainer.conftest import FAKE_RASA, end_jobs, wait_for
from tests.web.conftest import visible_text

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the page uses the database for accounts and audit rows alone."""
    url = f"sqlite:///{tmp_path / 'samtale.db'}"
    migrate(url)
    return url


@pytest.fixture
def fake_rasa_jobs(app: Any, studio: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                   ) -> Iterator[Jobs]:
    monkeypatch.setenv("FAKE_RASA_MODE", "ok")
    monkeypatch.setenv("FAKE_RASA_GO", str(tmp_path / "go"))
    var = app.state.settings.var_dir
    app.state.jobs = Jobs(var / "jobs", rasa=FAKE_RASA, project_root=ROOT,
                          content_root=studio.root, models_dir=var / "models")
    yield app.state.jobs
    end_jobs(app.state.jobs)


def token(client: Any, path: str = "/trainer/models") -> str:
    found = TOKEN.search(client.get(path).text)
    assert found, path
    return found.group(1)


def settle(jobs: Jobs) -> None:
    """Wait until no job runs (a training starts its test job on its own)."""
    deadline = time.monotonic() + 60
    while any(job.active for job in jobs.recent()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(job.active for job in jobs.recent())


def test_staff_get_403_on_the_models_pages_and_job_endpoints(signed_in: Any, fake_rasa_jobs: Jobs
                                                            ) -> None:
    client = signed_in("staff")
    for path in ("/trainer/models", "/trainer/models/jobs", "/trainer/models/jobs/x",
                 "/trainer/models/20261201T000000-00000000/report"):
        assert client.get(path).status_code == 403, path
    csrf = token(client, "/staff/")
    for path in ("/trainer/models/train", "/trainer/models/20261201T000000-00000000/test"):
        response = client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == 403, path
    assert fake_rasa_jobs.recent() == []


def test_starting_a_job_needs_the_csrf_token(signed_in: Any, fake_rasa_jobs: Jobs) -> None:
    client = signed_in("trainer")
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post("/trainer/models/train", data=data,
                           follow_redirects=False).status_code == 403
    assert fake_rasa_jobs.recent() == []


def test_a_trainer_trains_tests_and_sees_the_model_with_its_report(
        signed_in: Any, fake_rasa_jobs: Jobs, accounts: Any, app: Any) -> None:
    client = signed_in("trainer", display_name="Lise <Træner>")
    page = client.get("/trainer/models")
    assert "Ingen jobs endnu." in visible_text(page)
    assert "0.93 (dansk) og 0.95 (engelsk)" in visible_text(page)  # the floors, named
    started = client.post("/trainer/models/train", data={"csrf_token": token(client)},
                          follow_redirects=False)
    assert started.status_code == 303
    job_id = started.headers["location"].split("started=")[1]
    settle(fake_rasa_jobs)
    page = client.get("/trainer/models")
    text = visible_text(page)
    assert "Træning · færdig · startet af Lise <Træner>" in text  # escaped, readable
    assert "Lise &lt;Træner&gt;" in page.text and "Lise <Træner>" not in page.text
    [model] = Registry(app.state.settings.var_dir / "models").models()
    soup = BeautifulSoup(page.text, "html.parser")
    row = soup.find(id=f"model-{model.id}")
    assert row.find(class_="model-status").get_text(strip=True) == "bestået"
    assert "historier: 0 fejlede af 2 · da makro-F1 1.000 · en makro-F1 1.000" in " ".join(
        row.get_text().split())
    deploy = row.find("form", action=f"/trainer/models/{model.id}/deploy")
    assert deploy and deploy["method"] == "post" and deploy.find("input", {"name": "csrf_token"})
    assert row.find("a", href=f"/trainer/models/{model.id}/report")
    assert row.find("a", href=f"/trainer/history/{model.commit}")
    # no job runs: the jobs box does not poll
    assert soup.find(id="jobs").get("hx-get") is None
    # the job and the model as JSON, the job page with Rasa's output
    listing = client.get("/trainer/models", headers={"Accept": "application/json"}).json()
    assert listing["models"][0]["id"] == model.id and listing["models"][0]["status"] == "passed"
    job = client.get(f"/trainer/models/jobs/{job_id}", headers={"Accept": "application/json"})
    assert job.json()["status"] == "succeeded" and job.json()["model_id"] == model.id
    assert "Finished training component 'RulePolicy'" in visible_text(
        client.get(f"/trainer/models/jobs/{job_id}"))
    report = client.get(f"/trainer/models/{model.id}/report")
    text = visible_text(report)
    assert "Bestået" in text and "Ingen testhistorie fejlede (2 testet)." in text
    assert "✓ makro-F1 på de tilbageholdte beskeder (da) 1.000 (mindst 0.93)" in text
    assert "Der er ingen model at sammenligne med." in text
    assert report.text.count("<svg") == 2  # a confusion matrix per language
    actions = [row["action"] for row in accounts.list_audit(action="trainer.")]
    assert sorted(actions) == ["trainer.test.finished", "trainer.test.started",
                               "trainer.train.finished", "trainer.train.started"]
    client.get("/trainer/models")  # seen again: audited once
    assert len(accounts.list_audit(action="trainer.")) == 4


def test_a_second_training_is_refused_while_one_runs(signed_in: Any, fake_rasa_jobs: Jobs,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "wait")
    lise, ole = signed_in("trainer", "lise", display_name="Lise"), signed_in("trainer", "ole")
    assert lise.post("/trainer/models/train", data={"csrf_token": token(lise)},
                     follow_redirects=False).status_code == 303
    wait_for(fake_rasa_jobs, fake_rasa_jobs.recent()[0].id,
             until=lambda job: job.status == "running" and job.step == 1)
    page = lise.get("/trainer/models")
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.find(id="jobs")["hx-get"] == "/trainer/models/jobs"  # polls while it runs
    assert soup.find(id="jobs")["hx-trigger"] == "every 2s"
    assert soup.find("progress") is not None and "Trin 1 af 8: trained SpacyNLP" in visible_text(page)
    refused = ole.post("/trainer/models/train", data={"csrf_token": token(ole)})
    assert refused.status_code == 409
    assert re.search(r"a training is already running, started by Lise at \d\d:\d\d",
                     visible_text(refused))
    as_json = ole.post("/trainer/models/train", headers={"Accept": "application/json",
                                                         "X-CSRF-Token": token(ole)})
    assert as_json.status_code == 409
    assert as_json.json()["detail"].startswith("a training is already running, started by Lise")
    partial = lise.get("/trainer/models/jobs", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert "HX-Refresh" not in partial.headers
    assert "kører" in visible_text(partial)
    (tmp_path / "go").touch()
    settle(fake_rasa_jobs)
    assert "hx-get" not in lise.get("/trainer/models/jobs").text  # polling stops
    # the last poll reloads the page, so the new model shows in the list
    assert lise.get("/trainer/models/jobs", headers={"HX-Request": "true"}
                    ).headers["HX-Refresh"] == "true"


def test_a_job_survives_a_restart_of_the_web_service_and_its_death_is_reported(
        signed_in: Any, fake_rasa_jobs: Jobs, settings: Any, studio: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal

    from fastapi.testclient import TestClient

    from bot.web.app import create_app
    from tests.web.conftest import sign_in

    monkeypatch.setenv("FAKE_RASA_MODE", "wait")
    client = signed_in("trainer", "lise", display_name="Lise")
    client.post("/trainer/models/train", data={"csrf_token": token(client)})
    job = wait_for(fake_rasa_jobs, fake_rasa_jobs.recent()[0].id,
                   until=lambda job: job.status == "running" and job.pid)
    # a new web service on the same settings: it knows nothing but the files
    restarted = create_app(settings)
    restarted.state.studio = studio
    restarted.state.jobs = Jobs(settings.var_dir / "jobs", rasa=FAKE_RASA, project_root=ROOT,
                                content_root=studio.root, models_dir=settings.var_dir / "models")
    try:
        other = TestClient(restarted)
        assert sign_in(other, "lise").status_code == 303
        page = BeautifulSoup(other.get("/trainer/models").text, "html.parser")
        box = page.find(id=f"job-{job.id}")
        assert box.find(class_="job-status").get_text() == "kører"
        assert page.find(id="jobs")["hx-get"] == "/trainer/models/jobs"
        os.killpg(job.pid, signal.SIGKILL)  # the job's process dies (a machine restart)
        wait_for(restarted.state.jobs, job.id)
        box = BeautifulSoup(other.get("/trainer/models").text, "html.parser").find(
            id=f"job-{job.id}")
        assert box.find(class_="job-status").get_text() == "fejlede"
        assert "ended without finishing" in box.find(class_="job-error").get_text()
        assert other.post("/trainer/models/train", data={"csrf_token": token(other)},
                          follow_redirects=False).status_code == 303  # the lock is free again
    finally:
        end_jobs(restarted.state.jobs)
        restarted.state.store.close()


def test_a_failed_training_shows_rasas_error_escaped(signed_in: Any, fake_rasa_jobs: Jobs,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "fail")
    client = signed_in("trainer")
    client.post("/trainer/models/train", data={"csrf_token": token(client)})
    settle(fake_rasa_jobs)
    page = client.get("/trainer/models")
    error = BeautifulSoup(page.text, "html.parser").find(class_="job-error").get_text()
    assert error.startswith("rasa train failed: rasa.shared.exceptions.InvalidDomain: The domain "
                            "<b>opening.yml</b> is broken")
    assert "<b>opening.yml</b>" not in page.text  # shown as text, not markup
    assert "fejlede" in visible_text(page)


def test_the_report_shows_a_failed_story_as_text(signed_in: Any, fake_rasa_jobs: Jobs,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_RASA_MODE", "badstory")
    client = signed_in("trainer")
    client.post("/trainer/models/train", data={"csrf_token": token(client)})
    settle(fake_rasa_jobs)
    model = client.get("/trainer/models", headers={"Accept": "application/json"}).json()[
        "models"][0]
    assert model["status"] == "failed"
    page = client.get(f"/trainer/models/{model['id']}/report")
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.find(class_="verdict").get_text(" ", strip=True).startswith("Ikke bestået")
    assert soup.find(class_="failed-story").get_text(" ", strip=True) == (
        "gift <script>alert(1)</script> (t.yml)")
    story = soup.find("pre", class_="story").get_text()
    assert "- action: utter_greet  # predicted: action_listen" in story and "/tmp/x" not in story
    assert "<script>alert(1)" not in page.text
    assert "✗ ingen testhistorie fejler (1 fejlede)" in visible_text(page)
    assert f'action="/trainer/models/{model["id"]}/deploy"' not in client.get(
        "/trainer/models").text  # a failed model cannot be deployed


def test_the_report_warns_about_every_intent_that_got_worse_than_the_deployed_model(
        signed_in: Any, fake_rasa_jobs: Jobs, app: Any) -> None:
    client = signed_in("trainer")
    client.post("/trainer/models/train", data={"csrf_token": token(client)})
    settle(fake_rasa_jobs)
    registry = Registry(app.state.settings.var_dir / "models")
    [first] = registry.models()
    registry.deploy(first.id, by="Lise")
    # a second model whose report is the first one's with greet and goodbye worse in Danish
    client.post("/trainer/models/train", data={"csrf_token": token(client)})
    settle(fake_rasa_jobs)
    second = registry.models()[0]
    assert second.id != first.id
    worse = copy.deepcopy(second.test)
    worse["nlu"]["da"]["intents"]["greet"]["f1"] = 0.9
    worse["nlu"]["da"]["intents"]["goodbye"]["f1"] = 0.99  # within the tolerance: no warning
    registry.record_test(second.id, worse, passed=True)
    page = client.get(f"/trainer/models/{second.id}/report")
    soup = BeautifulSoup(page.text, "html.parser")
    alert = soup.find(id="worse")
    assert alert is not None and alert["role"] == "alert"
    assert f"forstås dårligere end i model {first.id}" in alert.get_text()
    assert [li.get_text(" ", strip=True) for li in alert.find_all("li")] == [
        "greet (da): F1 1.00 → 0.90 (-0.10)"]
    assert f"Sammenlignet med den udrullede model {first.id}." in visible_text(page)
    worse_rows = [tr.find("td").get_text() for tr in soup.select("table.intents tr.worse")]
    assert worse_rows == ["greet"]
    as_json = client.get(f"/trainer/models/{second.id}/report",
                         headers={"Accept": "application/json"}).json()
    assert as_json["baseline"] == first.id and [w["intent"] for w in as_json["worse"]] == ["greet"]


def test_unknown_models_and_jobs_are_404_not_500(signed_in: Any, fake_rasa_jobs: Jobs) -> None:
    client = signed_in("trainer")
    assert client.get("/trainer/models/../../etc/report").status_code == 404
    assert client.get("/trainer/models/20261201T000000-00000000/report").status_code == 404
    assert client.get("/trainer/models/jobs/nope").status_code == 404
    response = client.post("/trainer/models/20261201T000000-00000000/test",
                           data={"csrf_token": token(client)})
    assert response.status_code == 404 and "there is no model" in visible_text(response)
    assert fake_rasa_jobs.recent() == []


# --- one real training and test with the engine's Rasa -----------------------------------------

def _trim_nlu(root: Path, per_intent: int) -> None:
    """Keep the first examples of each intent: a smaller, faster training on the same domain."""
    for path in sorted((root / "nlu").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data.get("nlu") or []:
            if "examples" in item:
                lines = [line for line in item["examples"].splitlines() if line.strip()]
                item["examples"] = "\n".join(lines[:per_intent]) + "\n"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")


@pytest.mark.e2e  # about 2-4 minutes: a real training and three Rasa evaluations
def test_a_real_training_and_test_end_in_a_registered_model_with_its_report(
        signed_in: Any, app: Any, studio: Any, request: pytest.FixtureRequest) -> None:
    import subprocess

    request_cleanup = request.addfinalizer

    _trim_nlu(studio.root, per_intent=12)
    subprocess.run(["git", "-C", str(studio.root), "-c", "user.name=T", "-c",
                    "user.email=t@samtale.invalid", "commit", "-qam", "fewer examples"], check=True)
    commit = subprocess.run(["git", "-C", str(studio.root), "rev-parse", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    client = signed_in("trainer", display_name="Lise")
    response = client.post("/trainer/models/train", data={"csrf_token": token(client)},
                           follow_redirects=False)
    assert response.status_code == 303
    jobs = app.state.jobs
    request_cleanup(lambda: end_jobs(jobs))
    train = wait_for(jobs, jobs.recent(kind="train")[0].id, timeout=900)
    assert train.status == "succeeded", train.error
    assert train.commit == commit and train.step >= 3
    assert any("Finished training component" in line for line in jobs.log(train.id).splitlines())
    test = wait_for(jobs, train.result["test_job"], timeout=900)
    assert test.status == "succeeded", test.error
    record = Registry(app.state.settings.var_dir / "models").get(train.model_id)
    assert record.commit == commit and record.trained_by == "Lise"
    report = record.test
    assert record.status == ("passed" if report["passed"] else "failed")
    assert report["passed"] == all(item["passed"] for item in report["criteria"])
    held_out = yaml.safe_load((ROOT / "tests/nlu/held_out_da.yml").read_text(encoding="utf-8"))
    intents = {item["intent"] for item in held_out["nlu"]}
    da = report["nlu"]["da"]
    assert intents <= set(da["intents"])
    assert da["messages"] == sum(len([l for l in item["examples"].splitlines() if l.strip()])
                                 for item in held_out["nlu"])
    matrix = da["confusion"]["matrix"]
    assert sum(map(sum, matrix)) == da["messages"]
    assert report["stories"]["total"] and isinstance(report["stories"]["failed"], list)
    # twelve examples an intent are far too few for the held-out floors (0.79 / 0.84 measured)
    assert [item["passed"] for item in report["criteria"][1:]] == [False, False]
    assert record.status == "failed"
    assert f"/trainer/models/{record.id}/deploy" not in client.get("/trainer/models").text
    page = client.get(f"/trainer/models/{record.id}/report")
    assert page.status_code == 200 and page.text.count("<svg") == 2
    assert "✗ makro-F1 på de tilbageholdte beskeder (da)" in visible_text(page)
