"""The simulated users of bench_load.py: one client process runs a share of the users as threads,
each with its own requests.Session, and returns every request it made (kind, start, latency,
status, error) with the process's CPU time, so the report can tell whether the client kept up.

A user loads the page (GET /, /_dash-layout, /_dash-dependencies; the JS bundles are left out, a
browser caches them), asks the data version (the page's poll callback) and draws the default
chart, then until the deadline: waits an exponential think time, then either polls the data
version (every POLL_SECONDS, as the page's dcc.Interval does; a new version redraws the chart,
triggered by nm-data-version as in the browser; the answer is empty when the new data touched
nothing the chart shows) or sends the main chart callback with the next
prepared view (a range, zoom, keyword, filter... from bench_chart.ViewMaker), passing the window
the previous answer returned as its State. Only loopback URLs are accepted."""

from __future__ import annotations

import json
import random
import re
import resource
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

POLL_SECONDS = 10  # dashboard.header.layout.POLL_SECONDS
CONNECT_TIMEOUT = 5.0
FIGURE = re.compile(rb'"nm-chart"\s*:\s*\{\s*"figure"\s*:\s*\{')
WINDOW = re.compile(rb'"nm-window"\s*:\s*\{\s*"data"\s*:\s*(\{[^{}]*\})')
VERSION = re.compile(rb'"nm-data-version"\s*:\s*\{\s*"data"\s*:\s*(-?\d+)')
UNCHANGED = re.compile(rb'\{\s*"multi"\s*:\s*true\s*,\s*"response"\s*:\s*\{\s*\}\s*\}')


@dataclass(frozen=True)
class Callback:
    """One callback as /_dash-dependencies describes it: the output key the server looks it up
    by, its outputs, inputs and state as (component id, property)."""

    output: str
    outputs: list[tuple[str, str]]
    inputs: list[tuple[str, str]]
    state: list[tuple[str, str]]

    def payload(self, values: dict[str, object], changed: list[str]) -> dict:
        """The body dash-renderer POSTs to /_dash-update-component; `values` by 'id.property'."""
        outputs = [{"id": i, "property": p} for i, p in self.outputs]
        return {"output": self.output, "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": [{"id": i, "property": p, "value": values.get(f"{i}.{p}")} for i, p in self.inputs],
                "changedPropIds": changed,
                "state": [{"id": i, "property": p, "value": values.get(f"{i}.{p}")} for i, p in self.state]}


def parse_outputs(output: str) -> list[tuple[str, str]]:
    """'..a.x...b.y..' (several outputs) or 'a.x' (one) -> [('a', 'x'), ('b', 'y')]."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(part.rsplit(".", 1)) for part in parts]


def find_callback(dependencies: list[dict], output: str) -> Callback:
    """The callback whose outputs include `output` ('id.property')."""
    for dep in dependencies:
        outputs = parse_outputs(dep["output"])
        if tuple(output.rsplit(".", 1)) in outputs:
            return Callback(dep["output"], outputs, [(d["id"], d["property"]) for d in dep["inputs"]],
                            [(d["id"], d["property"]) for d in dep.get("state", [])])
    raise LookupError(f"no callback has the output {output}")


@dataclass(frozen=True)
class Spec:
    """What one client process runs: its users, the server, the views, timing and seeds."""

    base_url: str
    users: list[int]
    views: list[dict]  # {"kind", "state", "relayout", "trigger", "browser_tz"}
    default_state: dict
    chart: Callback
    poll: Callback
    think: float
    start_at: float  # time.time() when the users start
    deadline: float  # time.time() after which no user starts an action
    timeout: float
    seed: int


Record = tuple  # (kind, started epoch s, latency s, status, error kind, error message, bytes, request id,
#                 what: the chart's view kind, 'initial', 'new data' or 'new data, unchanged', else '';
#                 view: index in Spec.views or -1)


class User:
    """One simulated browser."""

    def __init__(self, uid: int, spec: Spec, out: list, lock: threading.Lock):
        self.uid, self.spec, self.out, self.lock = uid, spec, out, lock
        self.rng = random.Random(spec.seed * 1000 + uid)
        self.session = requests.Session()
        self.count = 0
        self.polls = 0  # the page's dcc.Interval n_intervals
        self.version: int | None = None
        self.window: dict | None = None
        self.view: dict = {"kind": "initial", "state": spec.default_state, "relayout": None,
                           "browser_tz": "Europe/Berlin"}
        self.view_index = -1

    def _request(self, kind: str, method: str, path: str, body: dict | None = None, what: str = "") -> bytes | None:
        self.count += 1
        rid = f"u{self.uid}-{self.count}"
        started, clock = time.time(), time.perf_counter()
        status, error, message, content = 0, "", "", b""
        try:
            response = self.session.request(method, self.spec.base_url + path, json=body,
                                            headers={"X-Load-Id": rid},
                                            timeout=(CONNECT_TIMEOUT, self.spec.timeout))
            content, status = response.content, response.status_code
            if status not in (200, 204):
                error, message = f"HTTP {status}", content[:200].decode("utf-8", "replace")
            elif kind == "chart" and not FIGURE.search(content):
                if what == "new data" and UNCHANGED.fullmatch(content):
                    what = "new data, unchanged"   # the new data touched nothing this chart shows
                else:
                    error, message = "no figure in the answer", content[:200].decode("utf-8", "replace")
        except requests.Timeout as exc:
            error, message = "timeout", str(exc)[:200]
        except requests.RequestException as exc:
            error, message = type(exc).__name__, str(exc)[:200]
        latency = time.perf_counter() - clock
        with self.lock:
            self.out.append((kind, started, latency, status, error, message, len(content), rid, what,
                             self.view_index if kind == "chart" else -1))
        return None if error else content

    def load_page(self) -> None:
        for kind, path in (("page", "/"), ("layout", "/_dash-layout"), ("dependencies", "/_dash-dependencies")):
            self._request(kind, "GET", path)
        self.poll_version(first=True)
        self.draw("nm-state.data", "initial")

    def poll_version(self, first: bool = False) -> bool:
        """Ask the data version; True when it changed since the last answer."""
        self.polls += 0 if first else 1
        body = self.spec.poll.payload({"nm-poll.n_intervals": self.polls,
                                       "nm-data-version.data": self.version},
                                      [] if first else ["nm-poll.n_intervals"])
        content = self._request("poll", "POST", "/_dash-update-component", body)
        match = VERSION.search(content or b"")
        if match is None:  # 204: no_update, the version did not change
            return False
        self.version = int(match.group(1))
        return not first

    def draw(self, changed: str, what: str) -> None:
        view = self.view
        values = {"nm-state.data": view["state"], "nm-chart.relayoutData": view["relayout"],
                  "nm-data-version.data": self.version, "nm-selected-headline.data": None,
                  "nm-browser-tz.data": view["browser_tz"], "nm-window.data": self.window}
        content = self._request("chart", "POST", "/_dash-update-component", self.spec.chart.payload(values, [changed]),
                                what)
        match = WINDOW.search(content or b"")
        if match is not None:
            self.window = json.loads(match.group(1))

    def run(self) -> None:
        spec = self.spec
        time.sleep(max(0.0, spec.start_at - time.time()) + self.rng.uniform(0, spec.think))  # staggered arrivals
        if time.time() >= spec.deadline:
            return
        self.load_page()
        next_poll = time.time() + POLL_SECONDS
        index = self.rng.randrange(len(spec.views))
        while True:
            pause = self.rng.expovariate(1 / spec.think) if spec.think > 0 else 0.0
            if time.time() + pause >= spec.deadline:
                return
            time.sleep(pause)
            if time.time() >= next_poll:
                next_poll += POLL_SECONDS
                if self.poll_version():
                    self.draw("nm-data-version.data", "new data")
                continue
            self.view_index = index % len(spec.views)
            self.view = spec.views[self.view_index]
            index += 1
            self.draw("nm-chart.relayoutData" if self.view["trigger"] == "nm-chart" else "nm-state.data",
                      self.view["kind"])


def run_client(spec: Spec) -> dict:
    """Run the spec's users as threads until the deadline; the records and this process's CPU."""
    host = urlsplit(spec.base_url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise ValueError(f"load tests only target loopback addresses, not {host!r}")
    out: list[Record] = []
    lock = threading.Lock()
    cpu, wall = resource.getrusage(resource.RUSAGE_SELF), time.time()
    threads = [threading.Thread(target=User(uid, spec, out, lock).run, name=f"user-{uid}", daemon=True)
               for uid in spec.users]
    for thread in threads:
        thread.start()
    for thread in threads:  # bounded: no action starts after the deadline, each request has a timeout
        thread.join(timeout=max(1.0, spec.deadline - time.time()) + 2 * spec.timeout + CONNECT_TIMEOUT + 5)
    after = resource.getrusage(resource.RUSAGE_SELF)
    with lock:
        records = list(out)
    return {"records": records, "cpu": (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime),
            "wall": time.time() - wall, "stuck": sum(t.is_alive() for t in threads)}
