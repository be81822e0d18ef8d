"""Real processes for the scale tests: gunicorn serving wsgi:app and `flask worker`, on free ports, each in its own
process group so that stopping it stops its children (gunicorn's workers, RQ's work horses), and nothing else."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """One started command; its output goes to a file shown when something fails."""

    def __init__(self, name, command, env):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"scale-{name}-", suffix=".log", delete=False)
        self.popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def output(self):
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def terminate(self):
        """SIGTERM to this process's own group (gunicorn's workers, an RQ work horse stop with it)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self):
        """Terminated, waited for, SIGKILLed if it is still there after a few seconds; its log removed."""
        self.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)
        self.log.close()
        os.unlink(self.log.name)


def stop_all(started):
    """All told to stop at once, then each waited for: shutting down one after the other takes seconds each."""
    for process in started:
        process.terminate()
    for process in started:
        process.stop()


def environment(database_url, redis_url, public_base_url, secret_key):
    """What an operator sets (README "Production"), pointed at the test database and Redis."""
    env = {key: value for key, value in os.environ.items() if key not in ("CREDENTIALS_KEYS", "DATABASE_REPLICA_URL")}
    env.update({"APP_ENV": "development", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                "SECRET_KEY": secret_key, "SANDBOX_ENABLED": "1", "PUBLIC_BASE_URL": public_base_url,
                "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def start_web(name, port, env, threads=12):
    return Process(name, [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                          "--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning",
                          "wsgi:app"], env)


def start_worker(name, env, queues=("default",)):
    command = [str(BIN / "flask"), "--app", "wsgi", "worker"]
    for queue in queues:
        command += ["--queue", queue]
    return Process(name, command, env)


def wait_until_answering(process, base_url, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited:\n{process.output()}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer in {timeout}s:\n{process.output()}")


def wait_for_workers(redis, count, timeout=40, processes=()):
    """Until `count` RQ workers have registered in Redis."""
    from rq import Worker

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(Worker.all(connection=redis)) >= count:
            return
        for process in processes:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited:\n{process.output()}")
        time.sleep(0.2)
    raise RuntimeError("the workers did not register:\n" + "\n".join(p.output() for p in processes))
