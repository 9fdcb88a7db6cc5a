"""`flask --app server demo`, the README's first command, really serves the seeded app."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_command_migrates_seeds_and_serves(tmp_path: Path) -> None:
    """The demo command prints the URL and logins, then answers the page, docs and a login."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite'}"}
    flask = [sys.executable, "-m", "flask", "--app", "server", "demo", "--port", str(port)]
    proc = subprocess.Popen(
        flask, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "".join(output)
            output.append(line)
            if "Running on" in line:
                break
        text = "".join(output)
        assert f"http://127.0.0.1:{port}/" in text
        email = re.search(r"rep\s+(\S+@demo\.tournee\.fr)", text)
        password = re.search(r"password '([^']+)'", text)
        assert email, text
        assert password, text
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/api/docs", timeout=10) as r:
            assert r.status == 200
        body = json.dumps(
            {"email": email[1], "password": password[1], "device_id": str(uuid.uuid4())}
        ).encode()
        request = urllib.request.Request(
            base + "/api/auth/login", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            token = json.load(r)["token"]
        request = urllib.request.Request(
            base + "/api/accounts?page_size=1", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            total = json.loads(r.headers["X-Pagination"])["total"]
        assert total > 50  # a rep's share of the 600 demo accounts
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
