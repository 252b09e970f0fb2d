"""The longest turn while a new model is deployed: `python -m bench.model_swap` (also part of
`make bench`, bench/run.py).

Starts the real stack with two Rasa workers pulling from the web service every two seconds,
keeps CONCURRENT conversations sending turns back to back, and after BEFORE_S seconds deploys
a second model (trained here from the content with one response changed, Rasa's cache making
that a short training). Each reply names the worker and the model file that answered
(X-Samtale-Worker, X-Samtale-Model: engine/serve.py), so the swap window is exact: from the
deploy until every worker answers with the new model. Reported: median and longest turn before
and during the swap, their ratios, how long the roll-out took, and turns lost.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bot.settings import load_settings
from bot.stack import Stack
from bot.trainer.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
BASELINE = ROOT / "models" / "samtale.tar.gz"
CONCURRENT = int(os.environ.get("BENCH_SWAP_CONCURRENT", "4"))
BEFORE_S = float(os.environ.get("BENCH_SWAP_BEFORE_S", "30"))
AFTER_S = 10.0  # after the last worker switched: back to normal?
WARM_UP_S = 10.0
PULL_SECONDS = "2"
WORKERS = 2

# The welcome each conversation starts with; the second model says it differently.
WELCOME = "Hej og velkommen! Jeg er Samtale"
CHANGED_WELCOME = "Hej og velkommen til den nye udgave! Jeg er Samtale"
SCRIPT = ["hej", "/affirm", '/choose{"value":"citizen"}', '/choose{"value":"accepted"}',
          "Jeg drømmer om en fælleshave i min opgang", "Jeg kan selv invitere naboerne"]


def train_variant(out_dir: Path, old: str = WELCOME, new: str = CHANGED_WELCOME) -> Path:
    """A second model: the project's content with one response text changed, trained by Rasa
    with its cache (ROOT/.rasa/cache, filled by `make train`), so only the domain is new:
    ~35 s here instead of a full training. Returns the model file."""
    content = out_dir / "content"
    for folder in ("domain", "nlu", "stories"):
        shutil.copytree(ROOT / folder, content / folder)
    changed = [path for path in (content / "domain").rglob("*.yml") if old in path.read_text()]
    assert changed, f"no response says {old!r}"
    for path in changed:
        path.write_text(path.read_text().replace(old, new))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "RASA_CACHE_DIRECTORY": str(ROOT / ".rasa" / "cache")}
    run = subprocess.run(
        [str(ROOT / ".venv-engine/bin/rasa"), "train", "--data", str(content / "nlu"),
         str(content / "stories"), "--domain", str(content / "domain"), "--config",
         "config.yml", "--out", str(out_dir), "--fixed-model-name", "variant"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    model = out_dir / "variant.tar.gz"
    if run.returncode != 0 or not model.exists():
        raise RuntimeError(f"rasa train failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return model


def register_passed(registry: Registry, model: Path, *, by: str) -> str:
    """The model in the registry, marked as passed (the jobs' test job does that for real)."""
    record = registry.add(model, commit="", by=by)
    registry.record_test(record.id, {"note": "marked passed by the benchmark/test"}, passed=True)
    return record.id


async def converse(client: httpx.AsyncClient, url: str, turns: list[dict],
                   stop: asyncio.Event) -> None:
    while not stop.is_set():
        sender = f"swap-{uuid.uuid4().hex[:10]}"
        for message in SCRIPT:
            if stop.is_set():
                return
            started = time.monotonic()
            try:
                response = await client.post(url, json={"sender": sender, "message": message,
                                                        "metadata": {"language": "da"}})
                ok = response.status_code == 200 and any(r.get("text") for r in response.json())
                worker = response.headers.get("x-samtale-worker", "?")
                model = response.headers.get("x-samtale-model", "?")
            except httpx.HTTPError:
                ok, worker, model = False, "?", "?"
            turns.append({"at": started, "ms": (time.monotonic() - started) * 1000, "ok": ok,
                          "worker": worker, "model": model})


def summary(turns: list[dict]) -> dict:
    latencies = [turn["ms"] for turn in turns if turn["ok"]]
    return {"turns": len(turns), "lost": sum(1 for turn in turns if not turn["ok"]),
            "p50_ms": statistics.median(latencies) if latencies else None,
            "max_ms": max(latencies) if latencies else None}


async def measure(stack: Stack, model_id: str) -> dict:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    new_file = f"{model_id}.tar.gz"
    turns: list[dict] = []
    stop = asyncio.Event()
    # A connection per turn: the kernel spreads them over both workers, as it does real clients.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        talkers = [asyncio.create_task(converse(client, url, turns, stop))
                   for _ in range(CONCURRENT)]
        await asyncio.sleep(WARM_UP_S)  # each worker's first parses load lazily: not counted
        measured_from = time.monotonic()
        await asyncio.sleep(BEFORE_S)
        registry = Registry(stack.settings.var_dir / "models")
        deployed_at = time.monotonic()
        registry.deploy(model_id, by="bench")
        switched_at = None
        while time.monotonic() - deployed_at < 300:
            await asyncio.sleep(0.2)
            latest: dict[str, str] = {}
            for turn in turns:
                if turn["worker"] != "?":
                    latest[turn["worker"]] = turn["model"]
            recent = [turn for turn in turns if turn["at"] > deployed_at]
            if (len(latest) >= WORKERS and all(m == new_file for m in latest.values())
                    and recent):
                switched_at = time.monotonic()
                break
        await asyncio.sleep(AFTER_S)
        stop.set()
        await asyncio.gather(*talkers)
    end = switched_at or time.monotonic()
    # Before: turns done before the deploy; during: any turn in flight while it rolled out.
    before = [t for t in turns
              if measured_from <= t["at"] and t["at"] + t["ms"] / 1000 < deployed_at]
    # A turn belongs to the swap if it was in flight at any moment of the roll-out.
    during = [t for t in turns if t["at"] + t["ms"] / 1000 >= deployed_at and t["at"] <= end]
    after = [t for t in turns if t["at"] > end]
    # The slowest turns of the swap: when (from the deploy), on which worker, with which model.
    slowest = [{"after_deploy_s": round(t["at"] - deployed_at, 1), "ms": round(t["ms"]),
                "worker": t["worker"], "model": t["model"]}
               for t in sorted(during, key=lambda t: t["ms"], reverse=True)[:5]]
    result = {"workers": WORKERS, "concurrent": CONCURRENT, "pull_seconds": int(PULL_SECONDS),
              "slowest_during": slowest,
              "rollout_s": (switched_at - deployed_at) if switched_at else None,
              "before": summary(before), "during": summary(during), "after": summary(after)}
    b, d = result["before"], result["during"]
    if b["p50_ms"] and d["p50_ms"]:
        result["p50_ratio"] = d["p50_ms"] / b["p50_ms"]
        result["max_ratio"] = d["max_ms"] / b["max_ms"]
    return result


def free_port() -> str:
    # The machine may run other stacks; the kernel hands out an unused port.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def run() -> dict:
    """Ours (engine/serve.py: loaded in a thread, one worker at a time), and with
    BENCH_SWAP_COMPARE=1 also Rasa's own way (loaded in the event loop, all workers at once)."""
    with tempfile.TemporaryDirectory() as tmp:
        print("Training the second model (one response changed, Rasa's cache)…", flush=True)
        started = time.monotonic()
        variant = train_variant(Path(tmp))
        train_s = time.monotonic() - started
        result = swap(Path(tmp) / "ours", variant, rasas_way=False)
        if os.environ.get("BENCH_SWAP_COMPARE") == "1":
            result["rasas_way"] = swap(Path(tmp) / "rasa", variant, rasas_way=True)
        result["variant_training_s"] = train_s
        return result


def swap(var_dir: Path, variant: Path, *, rasas_way: bool) -> dict:
    model = var_dir.parent / f"{var_dir.name}.tar.gz"
    shutil.copy2(variant, model)  # the registry moves the file in
    env = {**os.environ, "SAMTALE_VAR_DIR": str(var_dir), "RASA_PORT": free_port(),
           "ACTION_PORT": free_port(), "WEB_PORT": free_port(),
           "STAFF_API_TOKEN": "bench-" + "x" * 20, "RASA_WORKERS": str(WORKERS),
           "MODEL_PULL_SECONDS": PULL_SECONDS}
    env.pop("DATABASE_URL", None)
    env.pop("SAMTALE_RASAS_MODEL_LOADING", None)
    if rasas_way:
        env["SAMTALE_RASAS_MODEL_LOADING"] = "1"
    env["DATABASE_URL"] = load_settings(env).database_url
    stack = Stack(load_settings(env)).start(env)
    try:
        stack.wait_until_ready()
        model_id = register_passed(Registry(var_dir / "models"), model, by="bench")
        way = "Rasa's own loading" if rasas_way else "engine/serve.py's loading"
        print(f"Deploying {model_id} after {BEFORE_S:.0f} s of {CONCURRENT} conversations "
              f"({way})…", flush=True)
        return asyncio.run(measure(stack, model_id))
    finally:
        stack.stop()


HEADER = ("| Deploying a new model while 4 conversations send turns back to back (2 Rasa workers) "
          "| p50 | longest turn | turns | lost |\n|---|---|---|---|---|")


def _rows(result: dict, way: str) -> list[str]:
    lines = []
    for label, key in (("before the deploy", "before"), ("during the swap", "during"),
                       ("after it", "after")):
        row = result[key]
        if row["p50_ms"] is None:
            lines.append(f"| {way}: {label} | – | – | {row['turns']} | {row['lost']} |")
            continue
        lines.append(f"| {way}: {label} | {row['p50_ms']:.0f} ms | {row['max_ms']:.0f} ms | "
                     f"{row['turns']} | {row['lost']} |")
    return lines


def report_lines(result: dict) -> list[str]:
    lines = [HEADER.replace("4 conversations", f"{result['concurrent']} conversations"),
             *_rows(result, "Samtale (loaded in a thread, one worker at a time)")]
    rasas = result.get("rasas_way")
    if rasas:
        lines += _rows(rasas, "Rasa's own pulling (loaded in the event loop)")
    if result.get("rollout_s") is not None and "p50_ratio" in result:
        lines += ["", (f"Every worker ran the new model {result['rollout_s']:.1f} s after the "
                  f"deploy (pulls every {result['pull_seconds']} s); during the swap the median "
                  f"turn was {result['p50_ratio']:.2f}× and the longest {result['max_ratio']:.2f}× "
                  f"those before. The second model trained in {result['variant_training_s']:.0f} s "
                  "(one response changed, Rasa's cache).")]
    else:
        lines += ["", "The new model did not reach every worker within 300 s."]
    if rasas and rasas.get("rollout_s") is not None and "p50_ratio" in rasas:
        lines += ["", (f"With Rasa's own loading: every worker switched after "
                  f"{rasas['rollout_s']:.1f} s, median {rasas['p50_ratio']:.2f}× and longest "
                  f"{rasas['max_ratio']:.2f}× those before.")]
    return lines


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    result = run()
    (OUT / "model_swap.json").write_text(json.dumps(result, indent=2))
    print("\n".join(report_lines(result)))


if __name__ == "__main__":
    main()
