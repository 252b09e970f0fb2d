"""Who may use the trainer pages: trainers and admins; staff get 403 on every page and
endpoint; anonymous readers are sent to sign in; every POST needs the CSRF token. None of these
run Rasa: each request is refused before anything is checked or written."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import visible_text

# Every page family of the studio (the last one is a commit that does not exist: 404 for some).
PAGES = ["/trainer", "/trainer/content", "/trainer/content?q=hej", "/trainer/conversations",
         "/trainer/understanding", "/trainer/understanding/da/greet", "/trainer/lexicons",
         "/trainer/review", "/trainer/review.json", "/trainer/try", "/trainer/files",
         "/trainer/files/lexicons/skills.yml", "/trainer/models", "/trainer/models/jobs",
         "/trainer/deployments", "/trainer/history", "/trainer/history/abcdef1"]
POSTS = ["/trainer/content/save", "/trainer/conversations/question",
         "/trainer/conversations/remove", "/trainer/conversations/move",
         "/trainer/conversations/yaml", "/trainer/understanding/example",
         "/trainer/understanding/bulk", "/trainer/lexicons/save", "/trainer/review",
         "/trainer/try", "/trainer/try/start-over", "/trainer/files/domain/opening.yml",
         "/trainer/models/train", "/trainer/models/rollback",
         "/trainer/history/abcdef1/revert"]



def head_commit(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_staff_get_403_on_every_trainer_page_and_endpoint(signed_in: Any, studio: Any) -> None:
    client = signed_in("staff")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Træner" in visible_text(response) or "trainer" in visible_text(response).lower()
    token = client.get("/staff/").text.split('name="csrf_token" value="')[1].split('"')[0]
    for path in POSTS:
        response = client.post(path, data={"csrf_token": token, "file": "domain/opening.yml"},
                               follow_redirects=False)
        assert response.status_code == 403, path
    log = subprocess.run(["git", "-C", str(studio.root), "log", "--format=%H"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert log == [head_commit(studio.root)]  # still only the shipped commit
    assert "nav" in client.get("/staff/").text and "/trainer/content" not in client.get(
        "/staff/").text


def test_anonymous_readers_are_sent_to_sign_in(client: Any) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        if path.endswith(".json"):  # a JSON twin answers a program: no redirect to a form
            assert response.status_code == 401, path
            continue
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login?next=/trainer")
    for path in POSTS:
        assert client.post(path, data={}, follow_redirects=False).status_code in (303, 401)


@pytest.mark.parametrize("role", ["trainer", "admin"])
def test_trainers_and_admins_see_the_pages_and_the_nav_link(signed_in: Any, studio: Any,
                                                            role: str) -> None:
    client = signed_in(role)
    home = client.get("/staff/")
    assert 'href="/trainer/content"' in home.text
    for path in PAGES[:-1]:
        # No Rasa runs here: Try it says so precisely (503) instead of a chat pane.
        assert client.get(path).status_code == (503 if path == "/trainer/try" else 200), path
    page = visible_text(client.get("/trainer/content"))
    assert "utter_ask_consent" in page and "Hej og velkommen!" in page and "Hello and welcome!" in page
    assert "Når: consent = false" in page  # the consent-conditioned variations show their condition


def test_a_post_without_the_csrf_token_is_refused_and_nothing_written(signed_in: Any,
                                                                       studio: Any) -> None:
    client = signed_in("trainer")
    before = (studio.root / "domain" / "opening.yml").read_bytes()
    shipped = head_commit(studio.root)
    form = {"file": "domain/opening.yml", "name": "utter_consent_given", "text_0": "Tak!",
            "message": "x"}
    for token in (None, "forged-token"):
        data = form if token is None else {**form, "csrf_token": token}
        response = client.post("/trainer/content/save", data=data, follow_redirects=False)
        assert response.status_code == 403
    assert client.post("/trainer/history/" + shipped + "/revert",
                       follow_redirects=False).status_code == 403
    assert (studio.root / "domain" / "opening.yml").read_bytes() == before
    assert head_commit(studio.root) == shipped


def test_by_default_the_pages_read_the_projects_own_data_folders(signed_in: Any) -> None:
    """Without TRAINER_CONTENT_DIR the studio is the project itself (only read here)."""
    from bot.settings import ROOT

    client = signed_in("trainer")
    page = visible_text(client.get("/trainer/content", params={"q": "utter_ask_gift"}))
    assert "utter_ask_gift" in page and "Gavesamtalen" in page
    assert client.app.state.studio.root == ROOT
    assert client.get("/trainer/understanding", params={"language": "en"}).status_code == 200
