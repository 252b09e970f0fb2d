"""The model server Rasa's workers pull from (ETag, 304, token, baseline, only on the staff
side), Deploy and Roll back (passed models only, trainers only, CSRF, audit), the registry's
history as Roll back reads it, and the Deployments page. None of these run Rasa: the page's
worker table is tested against a real Rasa in tests/e2e/test_deploy.py."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.store import migrate
from bot.trainer.registry import NotDeployable, Registry
from bot.web.app import create_app
from bot.web.trainer.model_server import PATH, TOKEN_HEADER, model_server_token
from tests.web.conftest import CSRF_FIELD, visible_text


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the database holds just accounts and the audit log here."""
    url = f"sqlite:///{tmp_path / 'samtale.db'}"
    migrate(url)
    return url


def fake_model(path: Path, text: str) -> Path:
    """A small tar.gz standing in for a trained model (the server never opens it)."""
    source = path.with_suffix(".txt")
    source.write_text(text)
    with tarfile.open(path, "w:gz") as archive:
        archive.add(source, arcname="metadata.json")
    return path


@pytest.fixture
def baseline(app: Any, tmp_path: Path) -> Path:
    app.state.baseline_model = fake_model(tmp_path / "samtale.tar.gz", "baseline")
    return app.state.baseline_model


@pytest.fixture
def registry(app: Any, tmp_path: Path) -> Registry:
    app.state.registry = Registry(app.state.settings.var_dir / "models")
    return app.state.registry


def add_model(registry: Registry, tmp_path: Path, name: str, *, passed: bool | None = True):
    record = registry.add(fake_model(tmp_path / f"{name}.tar.gz", name), commit=f"c-{name}",
                          by="tester")
    if passed is not None:
        record = registry.record_test(record.id, {"summary": name}, passed=passed)
    return record


def token_headers(app: Any) -> dict[str, str]:
    return {TOKEN_HEADER: model_server_token(app.state.settings)}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the model server --------------------------------------------------------------------

def test_the_baseline_is_served_with_its_sha256_as_etag_and_a_304_when_rasa_has_it(
        app: Any, client: TestClient, baseline: Path, registry: Registry) -> None:
    response = client.get(PATH, headers=token_headers(app))
    assert response.status_code == 200
    assert response.content == baseline.read_bytes()
    assert response.headers["etag"] == f'"{sha(baseline)}"'
    assert response.headers["filename"] == "samtale.tar.gz"
    # Rasa sends back the ETag verbatim as If-None-Match on its next pull.
    again = client.get(PATH, headers={**token_headers(app),
                                      "If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == response.headers["etag"]
    # An older fingerprint (Rasa's random one before any model, or a replaced model): the file.
    other = client.get(PATH, headers={**token_headers(app), "If-None-Match": '"0123abcd"'})
    assert other.status_code == 200 and other.content == baseline.read_bytes()


def test_after_a_deploy_the_deployed_model_is_served_and_rasas_old_etag_gets_it(
        app: Any, client: TestClient, baseline: Path, registry: Registry,
        tmp_path: Path) -> None:
    old_etag = client.get(PATH, headers=token_headers(app)).headers["etag"]
    record = add_model(registry, tmp_path, "second")
    registry.deploy(record.id, by="tester")
    response = client.get(PATH, headers={**token_headers(app), "If-None-Match": old_etag})
    assert response.status_code == 200
    assert response.content == registry.path(record.id).read_bytes()
    assert response.headers["etag"] == f'"{record.sha256}"' != old_etag
    assert response.headers["filename"] == f"{record.id}.tar.gz"
    assert client.get(PATH, headers={**token_headers(app), "If-None-Match": f'"{record.sha256}"'}
                      ).status_code == 304


def test_without_the_token_nobody_downloads_a_model(app: Any, client: TestClient,
                                                    baseline: Path, registry: Registry) -> None:
    for headers in ({}, {TOKEN_HEADER: "wrong-token"}, {TOKEN_HEADER: ""},
                    {"Authorization": f"Bearer {model_server_token(app.state.settings)}"}):
        response = client.get(PATH, headers=headers)
        assert response.status_code == 401, headers
        assert b"baseline" not in response.content and "etag" not in response.headers
    # Nor with the token in the query string: it would land in access logs.
    assert client.get(PATH, params={"token": model_server_token(app.state.settings)}
                      ).status_code == 401


def test_the_public_surface_has_no_model_server(settings: Any, baseline: Path) -> None:
    public = create_app(settings, surface="public")
    try:
        response = TestClient(public).get(PATH, headers={
            TOKEN_HEADER: model_server_token(settings)})
        assert response.status_code == 404
        assert response.content != baseline.read_bytes()
    finally:
        public.state.store.close()


def test_no_model_at_all_is_a_404_which_rasa_reads_as_no_model_yet(
        app: Any, client: TestClient, registry: Registry, tmp_path: Path) -> None:
    app.state.baseline_model = tmp_path / "missing.tar.gz"
    response = client.get(PATH, headers=token_headers(app))
    assert response.status_code == 404 and "no model" in response.text


def test_the_token_is_kept_0600_in_var_and_is_the_one_endpoints_yml_gives_rasa(
        settings: Any) -> None:
    from bot.launcher import write_endpoints

    token = model_server_token(settings)
    assert len(token) >= 32
    path = settings.var_dir / "model_server_token"
    assert path.read_text().strip() == token and path.stat().st_mode & 0o777 == 0o600
    import yaml

    models = yaml.safe_load(write_endpoints(settings).read_text())["models"]
    assert models["headers"] == {TOKEN_HEADER: token}
    assert models["url"] == f"http://127.0.0.1:{settings.web_port}{PATH}"


def test_ids_cannot_reach_outside_the_registry(registry: Registry, tmp_path: Path) -> None:
    outside = fake_model(tmp_path / "secret.tar.gz", "outside")
    for bad in ("../secret", "../../etc/passwd", "20260101T000000-0123abcd/../../x",
                "20260101T000000-0123ABCD", "", "x" * 300):
        with pytest.raises(KeyError):
            registry.path(bad)
        assert registry.get(bad) is None
        with pytest.raises(NotDeployable):
            registry.deploy(bad, by="tester")
    # A deployments.json edited by hand to point outside: nothing outside is served.
    (registry.directory / "deployments.json").write_text(json.dumps(
        [{"model_id": "../secret", "at": "now", "by": "x", "action": "deploy"}]))
    assert registry.current() is None
    served = registry.served(tmp_path / "no-baseline.tar.gz")
    assert served is None and outside.exists()


# --- deploy and roll back ----------------------------------------------------------------

def form_token(client: TestClient) -> str:
    found = CSRF_FIELD.search(client.get("/trainer/deployments").text)
    assert found
    return found.group(1)


def audit_actions(app: Any) -> list[tuple[str, str]]:
    return [(row["action"], row["target"]) for row in app.state.accounts.list_audit(limit=50)]


def test_a_trainer_deploys_a_passed_model_and_it_is_audited_and_listed(
        app: Any, signed_in: Any, baseline: Path, registry: Registry, tmp_path: Path) -> None:
    record = add_model(registry, tmp_path, "second")
    client = signed_in("trainer")
    page = visible_text(client.get("/trainer/deployments"))
    assert "samtale.tar.gz" in page and "Intet udrullet endnu" in page
    response = client.post(f"/trainer/models/{record.id}/deploy",
                           data={"csrf_token": form_token(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert registry.current().id == record.id
    assert ("trainer.model.deployed", f"model:{record.id}") in audit_actions(app)
    page = visible_text(client.get(response.headers["location"]))
    assert f"Model {record.id} er udrullet." in page
    assert "trainer-user" in page and "Udrullet" in page and "c-second" in page
    # The model server now hands it to Rasa.
    assert client.get(PATH, headers=token_headers(app)).headers["filename"] == (
        f"{record.id}.tar.gz")


@pytest.mark.parametrize("passed", [None, False])
def test_a_model_that_has_not_passed_its_tests_is_refused_and_nothing_changes(
        app: Any, signed_in: Any, baseline: Path, registry: Registry, tmp_path: Path,
        passed: bool | None) -> None:
    good = add_model(registry, tmp_path, "good")
    registry.deploy(good.id, by="tester")
    bad = add_model(registry, tmp_path, "bad", passed=passed)
    client = signed_in("trainer")
    response = client.post(f"/trainer/models/{bad.id}/deploy",
                           data={"csrf_token": form_token(client)}, follow_redirects=False)
    assert response.status_code == 400
    status = "trained" if passed is None else "failed"
    assert (f"model {bad.id} has not passed its tests (status: {status})"
            in visible_text(response))
    assert registry.current().id == good.id and len(registry.deployments()) == 1
    assert ("trainer.model.deploy_refused", f"model:{bad.id}") in audit_actions(app)
    unknown = client.post("/trainer/models/20260101T000000-0123abcd/deploy",
                          data={"csrf_token": form_token(client)}, follow_redirects=False)
    assert unknown.status_code == 400
    assert "there is no model 20260101T000000-0123abcd" in visible_text(unknown)
    traversal = client.post("/trainer/models/..%2F..%2Fetc/deploy",
                            data={"csrf_token": form_token(client)}, follow_redirects=False)
    assert traversal.status_code in (400, 404)
    assert registry.current().id == good.id and len(registry.deployments()) == 1


def test_roll_back_returns_to_the_model_before_and_not_to_the_one_just_left(
        app: Any, signed_in: Any, baseline: Path, registry: Registry, tmp_path: Path) -> None:
    client = signed_in("admin")
    refused = client.post("/trainer/models/rollback", data={"csrf_token": form_token(client)},
                          follow_redirects=False)
    assert refused.status_code == 400
    assert ("nothing is deployed: the bot already runs the model `make` trained (samtale.tar.gz)"
            in visible_text(refused))
    assert registry.deployments() == []
    first, second, third = (add_model(registry, tmp_path, name)
                            for name in ("first", "second", "third"))
    for record in (first, second, third):
        registry.deploy(record.id, by="tester")
    assert "Rul tilbage til " + second.id in visible_text(client.get("/trainer/deployments"))
    for expected in (second, first):
        response = client.post("/trainer/models/rollback",
                               data={"csrf_token": form_token(client)}, follow_redirects=False)
        assert response.status_code == 303
        assert registry.current().id == expected.id
    assert [(e["model_id"], e["action"]) for e in registry.deployments()] == [
        (first.id, "deploy"), (second.id, "deploy"), (third.id, "deploy"),
        (second.id, "rollback"), (first.id, "rollback")]
    assert registry.previous() is None  # first was the first deployed
    # Before the first deployed model there is the one `make` trained: served again.
    assert "Rul tilbage til samtale.tar.gz" in visible_text(client.get("/trainer/deployments"))
    to_baseline = client.post("/trainer/models/rollback",
                              data={"csrf_token": form_token(client)}, follow_redirects=False)
    assert to_baseline.status_code == 303 and registry.current() is None
    assert client.get(PATH, headers=token_headers(app)).content == baseline.read_bytes()
    page = visible_text(client.get(to_baseline.headers["location"]))
    assert "Rullet tilbage til model samtale.tar.gz." in page
    last = client.post("/trainer/models/rollback", data={"csrf_token": form_token(client)},
                       follow_redirects=False)
    assert last.status_code == 400 and "nothing is deployed" in visible_text(last)
    assert len(registry.deployments()) == 6
    rolled = [target for action, target in audit_actions(app)
              if action == "trainer.model.rolled_back"]
    assert sorted(rolled) == sorted([f"model:{second.id}", f"model:{first.id}",
                                     "model:samtale.tar.gz"])
    # Deploying again after rollbacks starts a new history on top.
    registry.deploy(third.id, by="tester")
    assert registry.current().id == third.id and registry.previous() is None


def test_staff_get_403_and_nothing_is_deployed(app: Any, signed_in: Any, baseline: Path,
                                               registry: Registry, tmp_path: Path) -> None:
    record = add_model(registry, tmp_path, "second")
    registry.deploy(add_model(registry, tmp_path, "first").id, by="tester")
    client = signed_in("staff")
    token = CSRF_FIELD.search(client.get("/staff/").text).group(1)
    assert client.get("/trainer/deployments").status_code == 403
    for path in (f"/trainer/models/{record.id}/deploy", "/trainer/models/rollback"):
        response = client.post(path, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403, path
    assert len(registry.deployments()) == 1 and registry.current().id != record.id


def test_a_deploy_without_the_csrf_token_is_refused(app: Any, signed_in: Any, baseline: Path,
                                                    registry: Registry, tmp_path: Path) -> None:
    record = add_model(registry, tmp_path, "second")
    client = signed_in("trainer")
    for data in ({}, {"csrf_token": "forged"}):
        for path in (f"/trainer/models/{record.id}/deploy", "/trainer/models/rollback"):
            assert client.post(path, data=data, follow_redirects=False).status_code == 403
    assert registry.deployments() == []


def test_the_page_offers_deploy_only_for_passed_models_through_the_form_partial(
        app: Any, signed_in: Any, baseline: Path, registry: Registry, tmp_path: Path) -> None:
    client = signed_in("trainer")
    passed = add_model(registry, tmp_path, "passed")
    untested = add_model(registry, tmp_path, "untested", passed=None)
    failed = add_model(registry, tmp_path, "failed", passed=False)
    html = client.get("/trainer/deployments").text
    assert f'action="/trainer/models/{passed.id}/deploy"' in html
    for other in (untested, failed):
        assert f"/trainer/models/{other.id}/deploy" not in html
    form = html.split(f'action="/trainer/models/{passed.id}/deploy"')[1].split("</form>")[0]
    token = CSRF_FIELD.search(form).group(1)
    response = client.post(f"/trainer/models/{passed.id}/deploy", data={"csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303 and registry.current().id == passed.id
    # The deployed one is not offered again; its user text is escaped like all the rest.
    assert f'action="/trainer/models/{passed.id}/deploy"' not in client.get(
        "/trainer/deployments").text
