"""Starts Samtale: the Rasa engine, the action server and the web service as one process set.

    python -m bot.launcher prepare   migrate the database, write var/endpoints.yml and var/Procfile
    python -m bot.launcher run       prepare, then run all three under honcho (Ctrl-C stops all)
    python -m bot.launcher shell     chat with the running bot in this terminal

`make run` and `make shell` call these after setting up both environments and the model.
"""
from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

import yaml

from bot.settings import (
    Settings,
    ensure_secret,
    ensure_staff_token,
    load_settings,
    rasa_lock_store_config,
    rasa_tracker_store_config,
)
from bot.store import migrate

ENGINE_BIN = "{root}/.venv-engine/bin"
PROJECT_BIN = "{root}/.venv/bin"
MODEL = "models/samtale.tar.gz"


# Files the launcher and the servers it starts create: owner only (var/ holds the database,
# its password in endpoints.yml, tokens, logs with conversation ids).
PRIVATE_UMASK = 0o077
RASA_TOKEN_FILE = "rasa_api_token"


def rasa_token(settings: Settings) -> str:
    """Secret for Rasa's HTTP API (--enable-api); kept in var/ like the staff token."""
    return ensure_secret(settings, None, RASA_TOKEN_FILE)


def private_var_dir(settings: Settings) -> Path:
    """var/ created 0700, and narrowed to that if an older version or a tool made it wider."""
    settings.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if settings.var_dir.stat().st_mode & 0o077:
        settings.var_dir.chmod(0o700)
    return settings.var_dir


def write_private(path: Path, text: str) -> Path:
    """Write a file 0600 from the first byte (a draft renamed into place, so no reader ever
    sees it half-written or world-readable, whatever mode an older copy had)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.draft")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a draft left by a crash keeps its old mode; be exact
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(draft, path)
    return path


def action_server_token(settings: Settings) -> str:
    """The secret Rasa sends the action server (bot/action_server.py); kept in var/."""
    return ensure_secret(settings, settings.action_server_token, "action_server_token")


def _local(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host


def rasa_model_server_config(settings: Settings) -> dict:
    """Rasa's `models:` endpoint: every Rasa worker pulls the deployed model from the web
    service (the staff side when it runs apart: the public side does not serve models).
    Rasa starts on models/samtale.tar.gz and follows the server from there (engine/serve.py),
    so it does not matter which of the two is up first."""
    from bot.web.trainer.model_server import PATH, TOKEN_HEADER, model_server_token

    if settings.staff_port is None:
        base = f"http://{_local(settings.web_host)}:{settings.web_port}"
    else:
        base = f"http://{_local(settings.staff_host)}:{settings.staff_port}"
    # load_lock is ours (engine/serve.py; Rasa keeps unknown keys aside): the workers load a
    # new model one after the other, so the others keep answering at full speed meanwhile.
    return {"url": f"{base}{PATH}", "headers": {TOKEN_HEADER: model_server_token(settings)},
            "wait_time_between_pulls": settings.model_pull_seconds,
            "load_lock": str(settings.var_dir / "model_load.lock")}


def write_endpoints(settings: Settings) -> Path:
    action_host = "127.0.0.1" if settings.action_host in ("0.0.0.0", "::") else settings.action_host
    endpoints = {
        "action_endpoint": {"url": f"http://{action_host}:{settings.action_port}/webhook",
                            "headers": {"X-Samtale-Action-Token": action_server_token(settings)}},
        "tracker_store": rasa_tracker_store_config(settings),
    }
    lock_store = rasa_lock_store_config(settings)
    if lock_store is not None:
        endpoints["lock_store"] = lock_store
    if settings.model_server:
        endpoints["models"] = rasa_model_server_config(settings)
    return write_private(private_var_dir(settings) / "endpoints.yml",
                         yaml.safe_dump(endpoints, sort_keys=False))


def procfile_lines(settings: Settings, endpoints: Path) -> list[str]:
    root = settings.root
    engine, project = ENGINE_BIN.format(root=root), PROJECT_BIN.format(root=root)
    rasa_token(settings)  # created now (0600), read by engine/serve.py: never on a command line
    # Telemetry off: Rasa would otherwise try to reach its servers (and Sentry) from here.
    rasa = (f"rasa: cd {root} && PYTHONPATH={root} RASA_TELEMETRY_ENABLED=false "
            f"SANIC_WORKERS={settings.rasa_workers} "
            f"SAMTALE_RASA_TOKEN_FILE={settings.var_dir / RASA_TOKEN_FILE} "
            f"{engine}/python -m engine.serve run --model {MODEL} "
            f"--endpoints {endpoints} --credentials credentials.yml "
            f"--interface 127.0.0.1 --port {settings.rasa_port} "
            f"--enable-api --log-file {settings.var_dir}/rasa.log")
    actions = (f"actions: cd {root} && PYTHONPATH={root} {project}/python -m bot.action_server "
               f"--host {settings.action_host} --port {settings.action_port}")
    # With STAFF_PORT the staff side runs apart (e.g. on the intranet), the chat on its own.
    uvicorn = f"cd {root} && {project}/uvicorn --factory"
    if settings.staff_port is None:
        web = [(f"web: {uvicorn} bot.web.app:create_app "
               f"--host {settings.web_host} --port {settings.web_port}")]
    else:
        web = [(f"web: {uvicorn} bot.web.app:create_public_app "
               f"--host {settings.web_host} --port {settings.web_port}"),
               (f"staff: {uvicorn} bot.web.app:create_staff_app "
               f"--host {settings.staff_host} --port {settings.staff_port}")]
    lines = [rasa, actions, *web]
    if settings.telegram_bot_token:  # the bridge reads its token and settings from the env
        lines.append(f"telegram: cd {root} && {project}/python -m bot.channels.telegram")
    return lines


def telegram_status(settings: Settings) -> str:
    if not settings.telegram_bot_token:
        return "not started (set TELEGRAM_BOT_TOKEN to connect a bot)"
    if settings.telegram_webhook_url:
        return (f"webhook at {settings.telegram_webhook_url} "
                f"(forward it to 127.0.0.1:{settings.telegram_webhook_port})")
    return "polling"


def prepare(settings: Settings) -> Path:
    private_var_dir(settings)
    migrate(settings.database_url)  # creates the SQLite file 0600 (bot/store/database.py)
    endpoints = write_endpoints(settings)
    return write_private(settings.var_dir / "Procfile",
                         "\n".join(procfile_lines(settings, endpoints)) + "\n")


def run(settings: Settings) -> None:
    procfile = prepare(settings)
    token = ensure_staff_token(settings)
    staff = (f"http://{settings.staff_host}:{settings.staff_port}" if settings.staff_port
             else f"http://{settings.web_host}:{settings.web_port}")
    print(f"""
Samtale is starting (the Rasa engine needs about a minute to load its model).
  Chat on a demo page:     {settings.public_url}/  (English: /?lang=en)
  Chat in this terminal:   make shell
  Chat over HTTP:          POST http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook
                           {{"sender": "anna", "message": "hej", "metadata": {{"language": "da"}}}}
  Telegram: {telegram_status(settings)}
  Staff pages:             {staff}/staff/  (the first admin: `make admin` in another terminal)
  Staff JSON API:          {staff}/api/outcomes
  Staff API token:         {token}
                           (Authorization: Bearer <token>; also in {settings.var_dir}/staff_api_token)
  Database:                {settings.database_url.split('@')[-1]}
Ctrl-C stops everything.
""", flush=True)
    env = dict(os.environ, DATABASE_URL=settings.database_url, PYTHONUNBUFFERED="1")
    honcho = f"{PROJECT_BIN.format(root=settings.root)}/honcho"
    os.execve(honcho, [honcho, "-f", str(procfile), "start"], env)


def shell(settings: Settings) -> None:
    """A terminal chat over the REST channel; buttons are shown as numbers to type."""
    import httpx

    sender = f"shell-{uuid.uuid4().hex[:8]}"
    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    buttons: list[dict] = []
    print("Samtale – skriv til botten (Ctrl-D for at stoppe) / write to the bot (Ctrl-D to stop)")
    while True:
        try:
            text = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        body: dict = {"sender": sender, "message": text}
        if text.strip().isdigit() and 0 < int(text) <= len(buttons):
            pressed = buttons[int(text) - 1]
            # The title goes along, so the transcript shows what was chosen, not a payload.
            body = {**body, "message": pressed["payload"],
                    "metadata": {"button_title": pressed["title"]}}
        try:
            replies = httpx.post(url, json=body, timeout=30).json()
        except httpx.HTTPError as error:
            print(f"(Rasa is not answering at {url}: {error}. Is `make run` running?)")
            continue
        buttons = []
        for reply in replies:
            if reply.get("text"):
                print(f"bot: {reply['text']}")
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"   [{len(buttons)}] {button['title']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.launcher", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["prepare", "run", "shell"])
    args = parser.parse_args(argv)
    # Inherited by honcho and the servers: rasa.log, SQLite's -wal/-shm, lock files are 0600.
    os.umask(PRIVATE_UMASK)
    try:
        settings = load_settings()
    except ValueError as error:
        sys.exit(f"Configuration error: {error}")
    {"prepare": lambda s: print(prepare(s)), "run": run, "shell": shell}[args.command](settings)


if __name__ == "__main__":
    main()
