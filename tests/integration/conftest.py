"""Shared pytest fixtures for the integration tests: they start the real
drydock binary (DRYDOCK_BIN, default build/drydock) on a free loopback port
with a fresh data directory."""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("DRYDOCK_BIN", str(ROOT / "build" / "drydock"))
FIXTURES = ROOT / "tests" / "fixtures"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running drydock server. start()/stop()/kill() may be called again
    on the same data directory to test restarts."""

    def __init__(self, data_dir, extra_args=(), env=None):
        self.data_dir = str(data_dir)
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.data_dir + ".log")

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data-dir", self.data_dir, "--listen", self.host] + self.extra_args,
            stdout=self.log, stderr=self.log, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"drydock exited with {self.proc.returncode}: {self.read_log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("drydock did not start listening")

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def read_log(self):
        try:
            return open(self.log_path, "rb").read().decode("utf-8", "replace")
        except OSError:
            return ""


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    rc = s.stop()
    assert rc == 0, f"server exit status {rc}; log tail:\n{s.read_log()[-3000:]}"


@pytest.fixture
def server_factory(tmp_path):
    made = []

    def make(extra_args=(), env=None, data_dir=None):
        s = Server(data_dir or (tmp_path / f"data{len(made)}"), extra_args, env)
        made.append(s)
        return s

    yield make
    for s in made:
        s.kill()
