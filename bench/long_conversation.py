"""One long conversation: is the 500th turn as fast as the first? (`make bench`, or alone:
`python -m bench.long_conversation` starts its own stack.)

A person holds one conversation for 500 turns: consent, role, the invitation, then side-steps
at the pending question ("why do you ask?", "help"), each answered and the question asked again,
so every turn does the same work. Reported: the median of turns 5-24 and of turns 481-500.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid

import httpx

from bot.settings import load_settings
from bot.stack import Stack

OPENING = ["hej", "/affirm", '/choose{"value":"citizen"}', '/choose{"value":"accepted"}']
SIDE_STEPS = ["hvorfor spørger du om det?", "hjælp", "hvorfor vil du vide det?",
              "hvad kan jeg gøre her?"]
TURNS = 500
FIRST, LAST = slice(4, 24), slice(TURNS - 20, TURNS)


def converse(url: str, turns: int = TURNS) -> dict:
    sender = f"long-{uuid.uuid4().hex[:10]}"
    latencies, empty = [], 0
    with httpx.Client(timeout=120) as client:
        for turn in range(turns):
            message = OPENING[turn] if turn < len(OPENING) else SIDE_STEPS[turn % len(SIDE_STEPS)]
            started = time.perf_counter()
            replies = client.post(url, json={"sender": sender, "message": message,
                                             "metadata": {"language": "da"}}).json()
            latencies.append((time.perf_counter() - started) * 1000)
            empty += not any(r.get("text") for r in replies)
    first, last = statistics.median(latencies[FIRST]), statistics.median(latencies[LAST])
    return {"turns": turns, "first_ms": first, "last_ms": last, "ratio": last / first,
            "without_reply": empty}


def row(result: dict) -> str:
    return (f"| one conversation of {result['turns']} turns (target: the last within 1.5× "
            f"the first) | {result['first_ms']:.0f} ms | {result['last_ms']:.0f} ms | "
            f"{result['ratio']:.2f}× | {result['without_reply']} |")


HEADER = ("| Long conversation, turn latency (median of 20 turns) | turns 5–24 | turns 481–500 "
          "| ratio | turns without a reply |\n|---|---|---|---|---|")


def main() -> None:
    with tempfile.TemporaryDirectory() as var_dir:
        env = {**os.environ, "SAMTALE_VAR_DIR": var_dir, "RASA_PORT": "5405",
               "ACTION_PORT": "5455", "WEB_PORT": "8400", "STAFF_API_TOKEN": "bench-" + "x" * 20,
               "RASA_WORKERS": "1"}
        env.pop("DATABASE_URL", None)
        env["DATABASE_URL"] = load_settings(env).database_url
        stack = Stack(load_settings(env)).start(env)
        try:
            stack.wait_until_ready()
            if len(sys.argv) > 1 and sys.argv[1] == "--wait":  # for py-spy: attach, then enter
                print(f"rasa pid group {stack.processes['rasa'].pid}", flush=True)
                input()
            result = converse(f"{stack.rasa_url}/webhooks/rest/webhook")
        finally:
            stack.stop()
    print(HEADER)
    print(row(result))


if __name__ == "__main__":
    main()
