"""Command 1 end to end: a fresh data folder, the run script, and the API serving the demo shop."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def _start(var: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PETBOT_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'petbot.db'}",
        "APP_PORT": str(port),
        "PETBOT_NO_ENGINE": "1",
        "API_TOKENS": "run-test-token",
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scripts/run.py")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _wait_for_banner(proc: subprocess.Popen, timeout: float = 120) -> str:
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        out.append(line)
        if "Ctrl-C stops everything" in line:
            return "".join(out)
    proc.kill()
    raise AssertionError("run command did not start:\n" + "".join(out))


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_run_command_serves_the_demo_shop_and_is_idempotent(tmp_path):
    port = _free_port()
    proc = _start(tmp_path, port)
    try:
        banner = _wait_for_banner(proc)
        assert f"http://127.0.0.1:{port}/admin" in banner
        assert "owner account created" in banner
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and body["status"] == "ok"
        status, services = _get(f"http://127.0.0.1:{port}/api/services", "run-test-token")
        assert status == 200
        assert any("Banho" in s["name"] for s in services["services"])
    finally:
        _stop(proc)

    # A second run reuses the database: no second demo load, no new owner password.
    proc = _start(tmp_path, port)
    try:
        banner = _wait_for_banner(proc)
        assert "demo shop loaded" not in banner
        assert "owner account created" not in banner
    finally:
        _stop(proc)


def test_stopping_the_run_command_stops_its_processes(tmp_path):
    port = _free_port()
    proc = _start(tmp_path, port)
    _wait_for_banner(proc)
    _stop(proc)
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            _get(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            return  # the app is gone with its parent
        time.sleep(0.5)
    raise AssertionError("the app kept running after the run command was stopped")
