"""Special paths: a named pipe (or a directory, a device, a socket) given where a file is read — a
feed's path, `snapshot FILE`, a CSV to import — is refused at once with an error naming the path,
instead of waiting forever for a writer."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.local_files import NotRegularFile, check_regular_file, read_regular_file
from ingest.runners.jobs import run_job
from tests.conftest import utc

REFUSED = "is a named pipe (FIFO), not a regular file: only regular files are read"


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "feed.fifo"
    os.mkfifo(path)
    return path


def promptly(call: Callable, fifo: Path):
    """`call()`'s result (or exception), once it has returned; should it block on the FIFO instead,
    a writer is opened to release it and the test fails."""
    outcome: dict = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 (handed to the test)
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    if not done.wait(30):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))   # the blocked reader gets end of file
        done.wait(30)
        pytest.fail(f"{call} blocked on the named pipe {fifo}")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_only_regular_files_are_read(tmp_path, fifo):
    regular = tmp_path / "feed.xml"
    regular.write_bytes(b"<rss/>")
    data, info = read_regular_file(regular, 100)
    assert (data, info.st_size) == (b"<rss/>", 6)
    assert read_regular_file(regular, 3)[0] == b"<rss"   # one byte over the cap tells it is over
    with pytest.raises(NotRegularFile) as info:
        promptly(lambda: read_regular_file(fifo), fifo)
    assert str(info.value) == f"{fifo} {REFUSED}"
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(tmp_path / "s.sock"))
    for path, kind in ((tmp_path, "a directory"), (Path("/dev/null"), "a character device")):
        with pytest.raises(NotRegularFile) as info:
            check_regular_file(path)
        assert str(info.value) == f"{path} is {kind}, not a regular file: only regular files are read"
    with pytest.raises(OSError, match="No such device or address"):   # a socket cannot even be opened
        check_regular_file(tmp_path / "s.sock")
    listening.close()
    with pytest.raises(FileNotFoundError):
        check_regular_file(tmp_path / "missing.xml")


def test_a_feed_at_a_named_pipe_is_that_feeds_error_and_the_others_run(store, make_config, tmp_path, fifo):
    good = tmp_path / "good.xml"
    good.write_bytes(b"<rss version='2.0'><channel><title>w</title><item><title>Talks resume</title>"
                     b"<guid>g1</guid><pubDate>Tue, 01 Mar 2022 10:00:00 GMT</pubDate></item></channel></rss>")
    config = make_config(feeds=[{"name": "pipe", "url": str(fifo)}, {"name": "good", "url": str(good)}])
    report = promptly(lambda: run_job(store, config, now=lambda: utc(2022, 3, 1, 12)), fifo)
    assert [(o.key, o.status, o.counts.new, o.error) for o in report.outcomes] == [
        ("feed:pipe", "error", 0, f"feed pipe: {fifo} {REFUSED}"), ("feed:good", "ok", 1, None)]
    assert store.runs().sort_values("id")["error"].tolist()[0] == f"feed pipe: {fifo} {REFUSED}"


def test_snapshot_of_a_named_pipe_is_refused(cli_run, fifo):
    result = promptly(lambda: cli_run("snapshot", str(fifo)), fifo)
    assert result.exit_code == 1
    assert result.stdout == f"page:feed.fifo: error: {fifo} {REFUSED}\n"
    assert result.stderr == "snapshot: every page failed (1 of 1); nothing stored\n"


@pytest.mark.parametrize("command", [("import-prices", "--instrument", "brent"), ("import-headlines",)])
def test_a_csv_import_from_a_named_pipe_is_refused(cli_run, fifo, command):
    name, *options = command
    result = promptly(lambda: cli_run(name, str(fifo), *options), fifo)
    assert result.exit_code == 1
    assert result.output == f"Error: {fifo} {REFUSED}\n"
