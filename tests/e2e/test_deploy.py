"""Deploy reaches every Rasa worker, and Roll back too: the real stack with two Rasa (Sanic)
workers pulling models from the web service every two seconds, a second model trained from
the content with the welcome rewritten, deployed and rolled back through the trainer's own
forms; every worker, told apart by X-Samtale-Worker (its pid), must answer with the new welcome,
then with the old one again."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.model_swap import CHANGED_WELCOME, WELCOME, register_passed, train_variant
from bot.store import get_store
from bot.store.accounts import AccountStore
from bot.trainer.registry import Registry
from bot.web.staff.passwords import hash_password
from tests.e2e.conftest import Client, running_stack
from tests.web.conftest import CSRF_FIELD

WORKERS = 2
PASSWORD = "kaffe-og-kage-hver-dag"


@pytest.fixture(scope="module")
def variant(tmp_path_factory) -> Path:
    """Trained before the stack starts (Rasa's cache: the domain is all that changed)."""
    started = time.monotonic()
    model = train_variant(tmp_path_factory.mktemp("variant"))
    print(f"variant model trained in {time.monotonic() - started:.0f} s")
    return model


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, variant) -> Iterator[Client]:
    yield from running_stack("postgresql", tmp_path_factory, workers=str(WORKERS),
                             name="deploy", extra_env={"MODEL_PULL_SECONDS": "2"})


def welcome(stack: Client) -> tuple[str, str, str]:
    """(worker pid, model file, welcome text) of one new conversation, on a new connection."""
    response = httpx.post(f"{stack.stack.rasa_url}/webhooks/rest/webhook", timeout=60,
                          json={"sender": f"deploy-{time.monotonic_ns()}", "message": "hej",
                                "metadata": {"language": "da"}})
    assert response.status_code == 200, response.text
    text = "\n".join(reply.get("text") or "" for reply in response.json())
    return response.headers["x-samtale-worker"], response.headers["x-samtale-model"], text


def workers_seen(stack: Client, tries: int = 60) -> dict[str, tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for _ in range(tries):
        worker, model, text = welcome(stack)
        seen[worker] = (model, text)
        if len(seen) == WORKERS:
            break
    return seen


def every_worker_says(stack: Client, words: str, model_file: str,
                      timeout: float = 120) -> float:
    """Seconds until each worker's latest answer has `words` (from `model_file`), and then
    keeps it: a worker that switched does not switch back."""
    started = time.monotonic()
    latest: dict[str, tuple[str, str]] = {}
    while time.monotonic() - started < timeout:
        worker, model, text = welcome(stack)
        latest[worker] = (model, text)
        if len(latest) == WORKERS and all(words in t and m == model_file
                                          for m, t in latest.values()):
            took = time.monotonic() - started
            for worker, (model, text) in workers_seen(stack).items():
                assert words in text and model == model_file, (worker, model, text)
            return took
        time.sleep(0.2)
    raise AssertionError(f"not every worker says {words!r} after {timeout:.0f} s: {latest}")


def trainer_session(stack: Client) -> httpx.Client:
    settings = stack.stack.settings
    AccountStore(get_store(settings)).create_user(
        username="tina", display_name="Tina Træner", password_hash=hash_password(PASSWORD),
        role="trainer", language="da")
    browser = httpx.Client(base_url=stack.stack.web_url, timeout=30, follow_redirects=True)
    token = CSRF_FIELD.search(browser.get("/staff/login").text).group(1)
    signed = browser.post("/staff/login", data={"username": "tina", "password": PASSWORD,
                                                "csrf_token": token})
    assert signed.status_code == 200 and "/staff/login" not in str(signed.url), signed.text[-500:]
    return browser


def post_form(browser: httpx.Client, action: str) -> httpx.Response:
    page = browser.get("/trainer/deployments").text
    assert f'action="{action}"' in page, page[-2000:]
    form = page.split(f'action="{action}"')[1].split("</form>")[0]
    return browser.post(action, data={"csrf_token": CSRF_FIELD.search(form).group(1)})


def test_a_deploy_reaches_every_worker_and_a_rollback_too(two_workers: Client,
                                                         variant: Path) -> None:
    stack = two_workers
    before = workers_seen(stack)
    assert len(before) == WORKERS, f"only saw workers {sorted(before)}"
    assert all(WELCOME in text and model == "samtale.tar.gz"
               for model, text in before.values()), before

    registry = Registry(stack.stack.settings.var_dir / "models")
    model_id = register_passed(registry, variant, by="test")
    browser = trainer_session(stack)
    page = browser.get("/trainer/deployments").text
    assert "Alle 2 processer kører den udrullede model." in page  # the baseline, on both

    deployed = post_form(browser, f"/trainer/models/{model_id}/deploy")
    assert deployed.status_code == 200 and f"Model {model_id} er udrullet." in deployed.text
    took = every_worker_says(stack, CHANGED_WELCOME, f"{model_id}.tar.gz")
    print(f"deploy reached both workers in {took:.1f} s")
    assert set(workers_seen(stack)) == set(before)  # the same two processes: no restart
    page = browser.get("/trainer/deployments").text
    assert "Alle 2 processer kører den udrullede model." in page and f"{model_id}.tar.gz" in page

    rolled = post_form(browser, "/trainer/models/rollback")
    assert rolled.status_code == 200
    assert "Rullet tilbage til model samtale.tar.gz." in rolled.text
    took = every_worker_says(stack, WELCOME, "samtale.tar.gz")
    print(f"rollback reached both workers in {took:.1f} s")
    assert all(CHANGED_WELCOME not in text for _, text in workers_seen(stack).values())

    actions = [row["action"] for row in AccountStore(get_store(stack.stack.settings))
               .list_audit(action="trainer.model.")]
    assert actions == ["trainer.model.rolled_back", "trainer.model.deployed"]
