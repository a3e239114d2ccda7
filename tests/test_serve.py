"""`newsmarks serve` and `python app.py` (the README's run command, the same path): a port in use
is one line and a non-zero exit before the URL is printed, with no store opened; a free port
serves the dashboard until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.integration   # subprocesses and sockets


@pytest.fixture
def taken_port():
    """A port on 127.0.0.1 that another program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def in_use(port: int) -> str:
    return (f"Error: port {port} on 127.0.0.1 is already in use: stop the program using it, or choose another "
            "port with --port\n")


def test_serve_on_a_port_in_use_says_so_before_anything_else(cli_run, taken_port):
    result = cli_run("serve", "--port", str(taken_port))
    assert result.exit_code == 1
    assert (result.stdout, result.stderr) == ("", in_use(taken_port))   # no URL printed
    if make_url(cli_run.store_url).get_backend_name() == "sqlite":
        assert not Path(make_url(cli_run.store_url).database).exists()   # no store opened, no refresh begun


def app_py(tmp_path: Path, *args: str) -> subprocess.Popen:
    config = tmp_path / "c.toml"
    config.write_text(f'feeds = []\npages = []\ninstruments = []\n[store]\nurl = "sqlite:///{tmp_path / "s.db"}"\n',
                      encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSMARKS_")},
           "NEWSMARKS_CONFIG": str(config)}
    return subprocess.Popen([sys.executable, str(REPO / "app.py"), *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_app_py_on_a_port_in_use_says_so_in_one_line(tmp_path, taken_port):
    proc = app_py(tmp_path, "--port", str(taken_port))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert (out, err) == ("", in_use(taken_port))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


def test_app_py_serves_the_dashboard_until_ctrl_c(tmp_path):
    with socket.socket() as sock:   # a port free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = app_py(tmp_path, "--port", str(port), "--no-refresh")
    try:
        assert proc.stderr.readline() == f"newsmarks dashboard on http://127.0.0.1:{port}/ (Ctrl-C to stop)\n"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200 and b"_dash-config" in page.read()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
