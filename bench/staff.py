"""Staff pages under load: inbox and reports page time with 10,000 conversations and 50,000
outcomes, on SQLite and PostgreSQL (target: p95 under 200 ms for each page).

    PYTHONPATH=. .venv/bin/python -m bench.staff            # both backends
    BENCH_STAFF_BACKENDS=sqlite BENCH_STAFF_ROUNDS=20 ...   # shorter

Seeds with multi-row INSERTs (a script, not the bot), signs a staff member in through the
real login form and times whole page requests through the app (TestClient: no network, so
the figures are the server's own time). The first request of each page is reported apart
("cold"): it loads the lexicon and fills the search index and the theme cache once per process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import insert

from bot.settings import load_settings
from bot.store import get_store, migrate
from bot.store.accounts import AccountStore
from bot.store.models import Conversation, Outcome
from bot.web.app import create_app
from bot.web.staff.passwords import hash_password

CONVERSATIONS = int(os.environ.get("BENCH_STAFF_CONVERSATIONS", "10000"))
OUTCOMES = int(os.environ.get("BENCH_STAFF_OUTCOMES", "50000"))
ROUNDS = int(os.environ.get("BENCH_STAFF_ROUNDS", "30"))
PAGES = {
    "inbox": "/staff/inbox",
    "inbox, filtered (gifts, new, citizens)": "/staff/inbox?kind=gift&status=new&role=citizen",
    "inbox, search": "/staff/inbox?q=lektier",
    "inbox, page 50": "/staff/inbox?page=50",
    "reports": "/staff/reports",
}
WORDS = {
    "possibility": ["Jeg drømmer om en fælleshave i opgangen", "Børn mangler lektiehjælp om tirsdagen",
                    "Vi har brug for flere bænke i parken", "En café for ældre på biblioteket"],
    "gift": ["Jeg kan hjælpe med lektier om onsdagen", "Jeg er tømrer og kan reparere cykler",
             "Jeg kan lave mad til fællesspisning", "I can help with gardening on Saturdays"],
    "ownership": ["Jeg kan selv invitere naboerne", "Jeg kan tage en snak med viceværten"],
    "commitment": ["Jeg lover at ringe til boligforeningen", "Jeg skriver til kommunen"],
    "dissent": ["Jeg tvivler på at kommunen lytter", "Det er spild af tid"],
    "invitation": ["Ja, gerne", "Ved ikke endnu"],
    "handoff": ["Kan jeg tale med et menneske?"],
}
SKILLS = ["homework_help", "cooking", "carpentry", "gardening", "repairs", "baking"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def seed(database_url: str) -> None:
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    conversations = [{"conversation_id": f"bench-{i}", "consent": i % 10 != 0,
                      "role": "employee" if i % 4 == 0 else "citizen",
                      "language": "en" if i % 5 == 0 else "da",
                      "created_at": now - dt.timedelta(days=rng.randint(0, 180))}
                     for i in range(CONVERSATIONS)]
    consented = [c for c in conversations if c["consent"]]
    kinds = list(WORDS)
    outcomes = []
    for i in range(OUTCOMES):
        person = consented[i % len(consented)]
        kind = kinds[i % len(kinds)]
        details: dict[str, Any] = {}
        if kind == "ownership":
            details = {"ladder_step": rng.randint(1, 4)}
        elif kind == "commitment":
            details = {"due": (now + dt.timedelta(days=rng.randint(-30, 30))).date().isoformat()}
        elif kind == "gift":
            details = {"skill_ids": rng.sample(SKILLS, 2),
                       "availability": {"text": "", "days": rng.sample(DAYS, 2), "time_of_day": None}}
        outcomes.append({
            "conversation_id": person["conversation_id"], "kind": kind,
            "text": f"{rng.choice(WORDS[kind])} ({i})", "details": details,
            "language": person["language"], "role": person["role"],
            "status": rng.choice(["new", "new", "in_progress", "done"]),
            "assignee": rng.choice([None, None, "lise", "bente"]),
            "source_message_id": f"m{i}",
            "created_at": person["created_at"] + dt.timedelta(minutes=i % 60),
        })
    store = get_store(load_settings({"DATABASE_URL": database_url}))
    with store._session(write=True) as session:
        for start in range(0, len(conversations), 2000):
            session.execute(insert(Conversation), conversations[start:start + 2000])
        for start in range(0, len(outcomes), 2000):
            session.execute(insert(Outcome), outcomes[start:start + 2000])


def measure(database_url: str, var_dir: Path) -> dict[str, dict[str, float]]:
    settings = load_settings({"DATABASE_URL": database_url, "SAMTALE_VAR_DIR": str(var_dir),
                              "STAFF_API_TOKEN": uuid.uuid4().hex, "SAMTALE_ENV": "test"})
    app = create_app(settings)
    AccountStore(app.state.store).create_user(
        username="bench", display_name="Bench", password_hash=hash_password("bench-password-123"),
        role="staff", language="da")
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/login").text).group(1)
    signed = client.post("/staff/login", data={"username": "bench", "password": "bench-password-123",
                                               "csrf_token": token}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    results = {}
    for name, path in PAGES.items():
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        cold = (time.perf_counter() - started) * 1000
        times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        results[name] = {"cold_ms": round(cold), "p50_ms": round(statistics.median(times)),
                         "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))])}
        print(f"  {name}: p50 {results[name]['p50_ms']} ms, p95 {results[name]['p95_ms']} ms, "
              f"first {results[name]['cold_ms']} ms", flush=True)
    app.state.store.close()
    return results


def run(backends: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"conversations": CONVERSATIONS, "outcomes": OUTCOMES, "rounds": ROUNDS}
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/bench.db"
                migrate(url)
                database = None
            else:
                database = f"samtale_bench_{uuid.uuid4().hex[:8]}"
                with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
                    db.execute(f'CREATE DATABASE "{database}"')
                url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
                migrate(url)
            try:
                print(f"{backend}: seeding {CONVERSATIONS} conversations, {OUTCOMES} outcomes", flush=True)
                started = time.perf_counter()
                seed(url)
                print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
                out[backend] = measure(url, Path(tmp) / "var")
            finally:
                if database:
                    get_store(load_settings({"DATABASE_URL": url})).close()
                    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
                        db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return out


def report_lines(result: dict[str, Any]) -> list[str]:
    """The README table (bench/run.py adds it to `make bench`'s block)."""
    backends = [b for b in ("sqlite", "postgresql") if b in result]
    lines = [f"| Staff pages, {result['conversations']:,} conversations and {result['outcomes']:,} "
             "outcomes (target: p95 < 200 ms) | " + " | ".join(f"{b} p50 / p95 (first)" for b in backends) + " |",
             "|---|" + "---|" * len(backends)]
    for page in PAGES:
        cells = [f"{result[b][page]['p50_ms']} / {result[b][page]['p95_ms']} ms "
                 f"({result[b][page]['cold_ms']} ms)" for b in backends]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    chosen = os.environ.get("BENCH_STAFF_BACKENDS", "sqlite,postgresql").split(",")
    result = run([b.strip() for b in chosen if b.strip()])
    target = Path("var/bench/staff.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
