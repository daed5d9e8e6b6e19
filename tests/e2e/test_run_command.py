"""Command 1 end to end: a fresh data folder, the run script, and the API serving the demo shop."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


def _start(var: Path, port: int, **extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        **extra,
        "PETBOT_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'petbot.db'}",
        "APP_PORT": str(port),
        "PETBOT_NO_ENGINE": "1",
        "API_TOKENS": "run-test-token",
    }
    if extra.get("PETBOT_NO_ENGINE") == "":
        env.pop("PETBOT_NO_ENGINE")
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


def _read_until(proc: subprocess.Popen, pattern: str, timeout: float = 60) -> re.Match:
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        out.append(line)
        if found := re.search(pattern, line):
            return found
    raise AssertionError(f"no line matching {pattern!r}:\n" + "".join(out))


def _pid_of(banner: str, name: str) -> int:
    return int(re.search(rf"starting {name} \(pid (\d+)", banner).group(1))


def _answers(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _get(url, "run-test-token")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer again")


def test_a_killed_child_is_restarted_and_the_product_answers_again(tmp_path):
    """Finding 14: `kill -9` of a supervised child no longer takes the product down."""
    port = _free_port()
    proc = _start(tmp_path, port)
    try:
        banner = _wait_for_banner(proc)
        app_pid = _pid_of(banner, "app")
        os.kill(app_pid, signal.SIGKILL)
        _read_until(proc, r"app exited with code -9; restarting in 1 s")
        new_pid = int(_read_until(proc, r"app restarted \(pid (\d+)\)").group(1))
        assert new_pid != app_pid
        _answers(f"http://127.0.0.1:{port}/api/services")
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and body["status"] == "ok"
        os.kill(new_pid, signal.SIGKILL)  # dies again at once: the back-off grows
        _read_until(proc, r"app exited with code -9; restarting in 2 s")
        _answers(f"http://127.0.0.1:{port}/api/services")
    finally:
        _stop(proc)
    assert proc.returncode == 0


def _run_module():
    spec = importlib.util.spec_from_file_location("petbot_run", ROOT / "scripts/run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _nice_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def test_engine_children_run_at_lower_priority_in_their_own_session():
    """Finding 7: the engine and the action server get the CPU after the app."""
    run = _run_module()
    child = run.Proc("Rasa engine", [sys.executable, "-c", "import time; time.sleep(30)"],
                     "", nice=run.engine_nice())
    popen = run.start_child(child)
    try:
        time.sleep(0.3)
        assert run.engine_nice() == 10  # the default
        assert _nice_of(popen.pid) == 10
        assert os.getsid(popen.pid) == popen.pid != os.getsid(0)  # its own session
        autogroup = Path(f"/proc/{popen.pid}/autogroup")
        if autogroup.exists():  # Linux with autogroup: the group is niced as well
            assert autogroup.read_text().split()[-1] == "10"
        run.stop_child(child)
        assert popen.wait(timeout=10) == -signal.SIGTERM
    finally:
        if popen.poll() is None:
            popen.kill()


def test_restart_back_off_doubles_up_to_the_cap_and_resets_after_a_stable_run(capsys):
    run = _run_module()
    child = run.Proc("action server", [sys.executable, "-c", "raise SystemExit(3)"], "")
    run.start_child(child)
    child.popen.wait()
    delays = []
    now = child.started_at
    for _ in range(7):
        run.supervise_step(child, now)  # sees the exit, schedules the restart
        delays.append(child.delay)
        now = child.restart_at
        run.supervise_step(child, now)  # restarts it
        child.started_at = now  # on the test's clock: it dies at once each time
        child.popen.wait()
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert "action server exited with code 3; restarting in 30 s" in capsys.readouterr().out
    child.started_at = now - run.STABLE_S  # it ran a minute before dying
    run.supervise_step(child, now)
    assert child.delay == 1
    child.popen.wait()


@pytest.mark.engine
def test_engine_killed_mid_conversation_is_restarted_and_nothing_is_lost_or_doubled(tmp_path):
    """Finding 14 with the real engine: `kill -9` the engine between two tutor messages; the
    next message is acknowledged at once, the tutor is told once that the answer is coming, and
    it is answered after the restart; no message lost, none processed twice."""
    from sqlmodel import Session, select

    import scheduler_core.metadata  # noqa: F401  (every table, so the FKs resolve when run alone)
    from bot import simulator as sim
    from bot.models import Author, WaInbound, WaMessage
    from bot.texts import t
    from scheduler_core.chatbot.models import BotSettings
    from scheduler_core.db.engine import make_engine, write_session

    port, rasa_port, action_port = _free_port(), _free_port(), _free_port()
    secret = "run-test-app-secret"
    proc = _start(tmp_path, port, PETBOT_NO_ENGINE="", RASA_URL=f"http://127.0.0.1:{rasa_port}",
                  ACTION_PORT=str(action_port), WHATSAPP_APP_SECRET=secret,
                  RASA_TELEMETRY_ENABLED="false")
    db = make_engine(f"sqlite:///{tmp_path / 'petbot.db'}")
    phone = "+5511955550199"

    def post(text: str, wa_id: str, ts: int) -> None:
        raw = json.dumps(sim.text_message(phone, text, wa_id=wa_id, timestamp=ts)).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhook/whatsapp", data=raw, method="POST",
            headers={"Content-Type": "application/json",
                     "X-Hub-Signature-256": sim.sign(raw, secret)})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def rows(author: str | None = None) -> list[WaMessage]:
        with Session(db) as s:
            stmt = select(WaMessage).order_by(WaMessage.id)
            if author:
                stmt = stmt.where(WaMessage.author == author)
            return list(s.exec(stmt).all())

    def wait(condition, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.5)
        raise AssertionError("timed out; messages: " + repr([(m.author, m.text[:40])
                                                             for m in rows()]))

    try:
        banner = _wait_for_banner(proc, timeout=900)
        engine_pid = _pid_of(banner, "Rasa engine")
        assert _nice_of(engine_pid) == 10
        with write_session(db) as s:
            settings = s.get(BotSettings, 1)
            settings.mode = "live"
            s.add(settings)
        post("oi", "wamid.RUNENG1", 1_790_000_001)
        wait(lambda: rows(Author.BOT), 120)
        answered_before = len(rows(Author.BOT))
        os.kill(engine_pid, signal.SIGKILL)
        post("quero agendar um banho", "wamid.RUNENG2", 1_790_000_002)
        _read_until(proc, r"Rasa engine exited with code -9; restarting in 1 s")
        post("quero agendar um banho", "wamid.RUNENG2", 1_790_000_002)  # Meta's retry
        post("para amanhã", "wamid.RUNENG3", 1_790_000_003)
        _read_until(proc, r"Rasa engine restarted \(pid \d+\)")

        def all_done() -> bool:
            with Session(db) as s:
                return not s.exec(select(WaInbound).where(
                    WaInbound.processed_at.is_(None))).all()

        wait(lambda: all_done() and len(rows(Author.BOT)) > answered_before, 600)
        time.sleep(3)  # any late duplicate would show up now
        tutor = [m.text for m in rows(Author.TUTOR)]
        assert tutor == ["oi", "quero agendar um banho", "para amanhã"]
        system = [m.text for m in rows(Author.SYSTEM)]
        assert system.count(t("engine_wait")) == 1
        assert t("engine_down") not in system
        with Session(db) as s:
            queue = s.exec(select(WaInbound).where(WaInbound.wa_id.like("wamid.RUNENG%"))).all()
        assert len(queue) == 3 and all(r.attempts == 0 for r in queue)
        after = [m for m in rows() if m.id > rows(Author.SYSTEM)[-1].id]
        assert any(m.author == Author.BOT for m in after)  # answered after the restart
    finally:
        _stop(proc)
        db.dispose()
