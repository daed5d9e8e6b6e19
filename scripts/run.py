"""Command 1 (`make run`): prepare the database and start every process of the product.

Steps, each idempotent: migrate the database, load the demo shop when it is empty, make sure the
owner account exists, build the Rasa engine environment and train the model when its inputs
changed, then start the action server, the engine and the app, wait until each answers, and print
the URLs. Ctrl-C (or SIGTERM) stops them all.

Supervision (issue 8, findings 7 and 14):

- A child that exits after start-up (an engine killed by the kernel, a crashed action server or
  app) is started again after a back-off of 1, 2, 4, 8, 16 s, capped at :data:`BACKOFF_CAP_S`
  (30 s); a child that had run :data:`STABLE_S` before dying starts again at 1 s. Each exit is
  logged, e.g. ``Rasa engine exited with code -9; restarting in 2 s``. Meanwhile the other
  children keep running: the app acknowledges and stores webhooks, and the gateway answers the
  parked messages in order when the engine is back (``bot.engine_turn``).
- The engine and the action server run at a lower CPU priority than the app, so the webhook
  acknowledgement wins the CPU when the engine is saturated: ``PETBOT_ENGINE_NICE`` (default
  10; 0 turns it off). With Linux autogroup (``/proc/sys/kernel/sched_autogroup_enabled``) a
  process's nice value only counts inside its session's autogroup, so each is started in its own
  session (``os.setsid``) and that autogroup gets the same nice value (``/proc/self/autogroup``);
  without autogroup the process nice value does it.
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

from scheduler_core.db.engine import make_engine  # noqa: E402
from scheduler_core.db.migrate import upgrade  # noqa: E402
from scheduler_core.kernel import settings as settings_mod  # noqa: E402

BACKOFF_CAP_S = 30.0
STABLE_S = 60.0  # a child that ran this long before exiting is restarted after 1 s again


@dataclass
class Proc:
    name: str
    cmd: list[str]
    ready_url: str
    timeout_s: float = 60
    env: dict[str, str] = field(default_factory=dict)
    nice: int = 0  # > 0: own session, lower CPU priority (engine and action server)
    popen: subprocess.Popen | None = None
    log: object = None  # the open log file
    started_at: float = 0.0
    delay: float = 0.0  # current restart back-off
    restart_at: float | None = None  # when a dead child is started again


class Stop(Exception):
    """SIGTERM (a service manager, `kill`): stop the children, like Ctrl-C does."""


def _on_sigterm(*_: object) -> None:
    raise Stop


def engine_nice() -> int:
    """PETBOT_ENGINE_NICE: how much lower the engine's and action server's priority is."""
    return max(0, min(19, int(os.environ.get("PETBOT_ENGINE_NICE", "10") or 0)))


def _lower_priority(nice: int) -> None:
    """In the child, after setsid: lower the autogroup's and the process's priority."""
    try:
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(nice))
    except OSError:
        pass  # no autogroup (or not Linux): the process nice value is what counts
    os.nice(nice)


def start_child(proc: Proc, cwd: Path = ROOT) -> subprocess.Popen:
    """Start ``proc`` (in its own session at lower priority when ``proc.nice``)."""
    extra: dict = {}
    if proc.nice > 0:
        extra = {"start_new_session": True, "preexec_fn": lambda: _lower_priority(proc.nice)}
    proc.popen = subprocess.Popen(
        proc.cmd, cwd=cwd, env=proc.env or None, stdout=proc.log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT, **extra,
    )
    proc.started_at = time.monotonic()
    proc.restart_at = None
    return proc.popen


def supervise_step(proc: Proc, now: float) -> None:
    """Restart ``proc`` when it died: schedule with back-off, then start it again."""
    code = proc.popen.poll() if proc.popen else None
    if proc.restart_at is None:
        if code is None:
            return
        ran = now - proc.started_at
        proc.delay = 1.0 if ran >= STABLE_S or not proc.delay else min(
            proc.delay * 2, BACKOFF_CAP_S)
        proc.restart_at = now + proc.delay
        say(f"{proc.name} exited with code {code}; restarting in {proc.delay:.0f} s")
    elif now >= proc.restart_at:
        start_child(proc)
        say(f"{proc.name} restarted (pid {proc.popen.pid})")


def stop_child(proc: Proc, sig: int = signal.SIGTERM) -> None:
    """Signal a running child (its whole session when it has one of its own)."""
    if not proc.popen or proc.popen.poll() is not None:
        return
    try:
        if proc.nice > 0:
            os.killpg(proc.popen.pid, sig)
        else:
            proc.popen.send_signal(sig)
    except ProcessLookupError:
        pass


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
    nice = engine_nice()
    return [
        Proc(
            "action server",
            [str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
             "-p", str(settings.action_port)],
            f"http://127.0.0.1:{settings.action_port}/health",
            env={**env, "SANIC_HOST": "127.0.0.1"},
            nice=nice,
        ),
        Proc(
            "Rasa engine",
            ["bash", "scripts/run_engine.sh"],
            f"{settings.rasa_url}/status",
            timeout_s=300,
            env={**env, "RASA_PORT": rasa_port, "ACTION_SERVER_URL": action_url,
                 "PETBOT_MODEL": model},
            nice=nice,
        ),
    ]


def main() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    settings = settings_mod.load()
    prepare_database(settings)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = engine_processes(settings, env)
    base = f"http://{settings.app_host}:{settings.app_port}"
    app_cmd = [str(ROOT / ".venv/bin/python"), "-m", "app.server"]
    procs.append(Proc("app", app_cmd, f"{base}/healthz", env=env))
    logs = settings_mod.VAR / "log"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        for proc in procs:
            proc.log = open(logs / f"{proc.name.replace(' ', '_')}.log", "ab")  # noqa: SIM115
            start_child(proc)
            niced = f", nice {proc.nice}" if proc.nice else ""
            say(f"starting {proc.name} (pid {proc.popen.pid}{niced}, log: {proc.log.name})")
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
        while True:
            now = time.monotonic()
            for proc in procs:
                supervise_step(proc, now)
            time.sleep(0.2)
    except (KeyboardInterrupt, Stop):
        say("stopping")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut this short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for proc in reversed(procs):
            stop_child(proc)
        for proc in procs:
            if proc.popen:
                try:
                    proc.popen.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    stop_child(proc, signal.SIGKILL)


if __name__ == "__main__":
    main()
