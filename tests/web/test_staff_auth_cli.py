"""`python -m bot admin create`, run as a real subprocess against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.store import OutcomeStore
from bot.store.accounts import AccountStore
from bot.web.staff.passwords import verify_password

ROOT = Path(__file__).resolve().parents[2]


def run_cli(database_url: str, tmp_path: Path, *args: str, password: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SAMTALE_VAR_DIR": str(tmp_path / "var"),
           "PYTHONPATH": str(ROOT)}
    env.pop("SAMTALE_ADMIN_PASSWORD", None)
    if password is not None:
        env["SAMTALE_ADMIN_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
                          check=False)


def test_admin_create_with_the_password_from_the_environment(
    database_url: str, tmp_path: Path
) -> None:
    result = run_cli(database_url, tmp_path, "admin", "create", "Mette", "--role", "admin",
                     "--display-name", "Mette Sørensen", password="tre-små-kinesere-på-vej")
    assert result.returncode == 0, result.stderr
    assert "created admin 'mette'" in result.stdout
    store = OutcomeStore(database_url)
    try:
        accounts = AccountStore(store)
        user = accounts.get_user_by_username("mette")
        assert user["role"] == "admin" and user["display_name"] == "Mette Sørensen"
        assert user["password_hash"].startswith("$argon2id$")
        assert verify_password(user["password_hash"], "tre-små-kinesere-på-vej")
        audit = accounts.list_audit(action="user.create")
        assert audit[0]["detail"] == {"username": "mette", "role": "admin", "via": "command line"}
    finally:
        store.close()


def test_admin_create_refuses_weak_passwords_and_taken_names(
    database_url: str, tmp_path: Path
) -> None:
    for weak, reason in [("kort", "be at least 12 characters long"),
                         ("aaaaaaaaaaaaaaaa", "use at least 5 different characters"),
                         ("mette-er-den-bedste", "not contain the username")]:
        result = run_cli(database_url, tmp_path, "admin", "create", "mette", "--role", "admin",
                         password=weak)
        assert result.returncode == 2
        expected = f"error: SAMTALE_ADMIN_PASSWORD: the password must {reason}"
        assert result.stderr.strip() == expected
        assert weak not in result.stderr
    ok = run_cli(database_url, tmp_path, "admin", "create", "mette", "--role", "staff",
                 password="en-lang-nok-adgangskode")
    assert ok.returncode == 0, ok.stderr
    again = run_cli(database_url, tmp_path, "admin", "create", "METTE", "--role", "admin",
                    password="en-anden-lang-adgangskode")
    assert again.returncode == 2
    assert "the username 'mette' is already taken" in again.stderr
    assert "Traceback" not in again.stderr


def test_admin_create_never_invents_a_password(database_url: str, tmp_path: Path) -> None:
    result = run_cli(database_url, tmp_path, "admin", "create", "mette", "--role", "admin")
    assert result.returncode == 2
    assert "no terminal to ask for a password; set SAMTALE_ADMIN_PASSWORD" in result.stderr
    listed = run_cli(database_url, tmp_path, "admin", "list")
    assert listed.returncode == 0 and "mette" not in listed.stdout


def test_bad_usernames_and_roles_are_refused_clearly(database_url: str, tmp_path: Path) -> None:
    bad = run_cli(database_url, tmp_path, "admin", "create", "<script>", "--role", "admin",
                  password="en-lang-nok-adgangskode")
    assert bad.returncode == 2 and "username must be 2-64 characters" in bad.stderr
    role = run_cli(database_url, tmp_path, "admin", "create", "ole", "--role", "boss",
                   password="en-lang-nok-adgangskode")
    assert role.returncode == 2 and "invalid choice: 'boss'" in role.stderr
