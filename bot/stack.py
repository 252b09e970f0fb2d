"""Runs the three servers as child processes, from the launcher's own Procfile commands.

Used where a program needs the real stack under its control — the end-to-end tests and the
benchmark — rather than honcho in the foreground (`make run`).
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from bot.launcher import PRIVATE_UMASK, prepare, rasa_token
from bot.settings import Settings


class StackFailed(RuntimeError):
    """A server exited or did not become ready; the message carries the tail of its logs."""


@dataclass
class Stack:
    settings: Settings
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    started_at: float = 0.0
    ready_after: float | None = None
    # Another tracker store class for Rasa (tests: one whose save is slowed), else the launcher's.
    tracker_store_type: str | None = None
    commands: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}"

    @property
    def action_host(self) -> str:
        host = self.settings.action_host
        return "127.0.0.1" if host in ("0.0.0.0", "::") else host

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {name} ---\n{self._log(name).read_text()[-tail:]}"
                         for name in self.processes if self._log(name).exists())

    def _log(self, name: str) -> Path:
        return self.settings.var_dir / f"{name}.out"

    def start(self, env: dict[str, str]) -> "Stack":
        procfile = prepare(self.settings)
        if self.tracker_store_type:
            endpoints = self.settings.var_dir / "endpoints.yml"
            config = yaml.safe_load(endpoints.read_text())
            config["tracker_store"]["type"] = self.tracker_store_type
            endpoints.write_text(yaml.safe_dump(config, sort_keys=False))
        self.started_at, self.env = time.monotonic(), env
        for line in procfile.read_text().splitlines():
            name, command = line.split(": ", 1)
            self.commands[name] = command
            self._spawn(name, "w")
        return self

    def _spawn(self, name: str, mode: str) -> None:
        log = open(self._log(name), mode, opener=_private)
        self.processes[name] = subprocess.Popen(
            ["bash", "-c", self.commands[name]], env=self.env, stdout=log,
            stderr=subprocess.STDOUT,
            umask=PRIVATE_UMASK,  # as under `make run`: what the servers create is 0600
            start_new_session=True)  # own process group: stop() reaches the children too

    def kill(self, name: str, signum: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Stop one server (its whole process group) and wait until it is gone."""
        process = self.processes[name]
        _signal_group(process.pid, signum)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout  # its children may outlive the shell briefly
        while _group_pids(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)

    def restart(self, name: str, timeout: float = 240) -> float:
        """Start one server again with its Procfile command; seconds until all are ready."""
        self._spawn(name, "a")
        self.started_at = time.monotonic()
        return self.wait_until_ready(timeout)

    def wait_until_ready(self, timeout: float = 240) -> float:
        """Seconds from start until Rasa has its model, actions and web answer."""
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise StackFailed(f"{name} exited with {process.returncode}\n{self.logs()}")
            if self._ready():
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            time.sleep(0.5)
        raise StackFailed(f"not ready within {timeout:.0f} s\n{self.logs()}")

    def _ready(self) -> bool:
        try:
            status = httpx.get(f"{self.rasa_url}/status", timeout=2,
                               params={"token": rasa_token(self.settings)})
            actions = httpx.get(f"http://{self.action_host}:{self.settings.action_port}/health",
                                timeout=2)
            web = httpx.get(f"{self.web_url}/api/health", timeout=2)
        except httpx.HTTPError:
            return False
        return (status.status_code == actions.status_code == web.status_code == 200
                and bool(status.json().get("model_file")))

    def peak_rss_mb(self) -> dict[str, float]:
        """Peak resident memory of each server (its whole process group), from /proc."""
        peaks = {}
        for name, process in self.processes.items():
            peaks[name] = sum(_vm_hwm_kb(pid) for pid in _group_pids(process.pid)) / 1024
        return peaks

    def stop(self) -> None:
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


