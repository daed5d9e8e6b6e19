"""Command 1 (`make run`): prepare the database and start every process of the product.

Steps, each idempotent: migrate the database, load the demo shop when it is empty, make sure the
owner account exists, build the Rasa engine environment and train the model when its inputs
changed, then start the action server, the engine and the app, wait until each answers, and print
the URLs. Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler_core import settings as settings_mod  # noqa: E402
from scheduler_core.db import make_engine  # noqa: E402
from scheduler_core.migrate import upgrade  # noqa: E402


@dataclass
class Proc:
    name: str
    cmd: list[str]
    ready_url: str
    timeout_s: float = 60
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen | None = None


def say(message: str) -> None:
    print(f">> {message}", flush=True)


def wait_ready(proc: Proc) -> None:
    deadline = time.monotonic() + proc.timeout_s
    while time.monotonic() < deadline:
        if proc.popen and proc.popen.poll() is not None:
            code = proc.popen.returncode
            raise SystemExit(f"{proc.name} exited early (code {code}); see {settings_mod.VAR}/log/")
        try:
            with urllib.request.urlopen(proc.ready_url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"{proc.name} did not answer {proc.ready_url} within {proc.timeout_s:.0f} s")


def prepare_database(settings) -> None:
    say(f"database: {settings.database_url}")
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    from scheduler_core.demo import load_demo

    if load_demo(engine, datetime.now(UTC)):
        say("demo shop loaded")
    from admin.panel.accounts import ensure_owner

    login, password = ensure_owner(engine)
    engine.dispose()
    if password:
        say(
            f"owner account created: login '{login}', password '{password}'"
            f" (also in {settings_mod.VAR / 'owner_password'})"
        )
    else:
        say(f"owner login: '{login}' (password in {settings_mod.VAR / 'owner_password'})")


def engine_processes(settings, env: dict[str, str]) -> list[Proc]:
    """The Rasa action server and engine, when the engine scripts are present."""
    if os.environ.get("PETBOT_NO_ENGINE") or not (ROOT / "scripts/engine_env.sh").exists():
        say("Rasa engine disabled (PETBOT_NO_ENGINE set or engine scripts missing)")
        env["PETBOT_NO_ENGINE"] = "1"  # the app's /healthz then reports the engine "disabled"
        return []
    engine_python = subprocess.run(
        ["bash", "scripts/engine_env.sh"], cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True
    ).stdout.strip().splitlines()[-1]
    say(f"engine environment: {Path(engine_python).parent.parent}")
    model = subprocess.run(
        ["bash", "scripts/train.sh"], cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True
    ).stdout.strip().splitlines()[-1]
    say(f"model: {model}")
    rasa_port = settings.rasa_url.rsplit(":", 1)[1].strip("/")
    action_url = f"http://127.0.0.1:{settings.action_port}/webhook"
    return [
        Proc(
            "action server",
            [str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
             "-p", str(settings.action_port)],
            f"http://127.0.0.1:{settings.action_port}/health",
            env={**env, "SANIC_HOST": "127.0.0.1"},
        ),
        Proc(
            "Rasa engine",
            ["bash", "scripts/run_engine.sh"],
            f"{settings.rasa_url}/status",
            timeout_s=300,
            env={**env, "RASA_PORT": rasa_port, "ACTION_SERVER_URL": action_url,
                 "PETBOT_MODEL": model},
        ),
    ]


def main() -> None:
    # SIGTERM (a service manager, `kill`) stops the children too, like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    settings = settings_mod.load()
    prepare_database(settings)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = engine_processes(settings, env)
    base = f"http://{settings.app_host}:{settings.app_port}"
    app_cmd = [str(ROOT / ".venv/bin/python"), "-m", "admin.server"]
    procs.append(Proc("app", app_cmd, f"{base}/healthz", env=env))
    logs = settings_mod.VAR / "log"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        for proc in procs:
            log = open(logs / f"{proc.name.replace(' ', '_')}.log", "ab")  # noqa: SIM115
            say(f"starting {proc.name} (log: {log.name})")
            proc.popen = subprocess.Popen(
                proc.cmd, cwd=ROOT, env=proc.env, stdout=log, stderr=subprocess.STDOUT
            )
            wait_ready(proc)
        token_file = settings_mod.VAR / "api_token"
        token = settings.api_tokens[0] if settings.api_tokens else (
            token_file.read_text().strip() if token_file.exists() else "(see var/api_token)"
        )
        print(
            "\n".join(
                [
                    "",
                    "petbot is running:",
                    f"  admin panel      {base}/admin",
                    f"  WhatsApp simulator (chat as a tutor)  {base}/simulador",
                    f"  REST API         {base}/api  (OpenAPI {base}/api/openapi.json;"
                    f" Authorization: Bearer {token})",
                    f"  health           {base}/healthz",
                    *([f"  Rasa engine      {settings.rasa_url}"] if len(procs) > 1 else []),
                    "Ctrl-C stops everything.",
                ]
            ),
            flush=True,
        )
        while all(p.popen.poll() is None for p in procs):
            time.sleep(1)
        dead = next(p for p in procs if p.popen.poll() is not None)
        say(f"{dead.name} stopped (code {dead.popen.returncode}); stopping the rest")
    except KeyboardInterrupt:
        say("stopping")
    finally:
        for proc in reversed(procs):
            if proc.popen and proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        for proc in procs:
            if proc.popen:
                try:
                    proc.popen.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.popen.kill()


if __name__ == "__main__":
    main()
