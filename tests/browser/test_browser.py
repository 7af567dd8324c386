"""The widgets work in a real browser: JupyterLab driven by Playwright in headless Chromium.

nbval re-runs notebooks headless and cannot see whether a slider renders or whether
moving it redraws a plot. This test opens every widget notebook in JupyterLab, runs all
cells, and for every control (slider, dropdown, checkbox, toggle buttons, button) acts on
it and asserts that an output it drives (plot image or text) changed, with no error.

Run only these tests:   PYTHONPATH=$PWD python -m pytest -o addopts="" -m browser tests/browser/test_browser.py
Needs:                  tools/install_browser.sh  (Debian chromium + the playwright package)

Environment variables:
  RNNLAB_REQUIRE_BROWSER=1        missing chromium/playwright/jupyterlab fails instead of skipping (CI)
  RNNLAB_BROWSER_NOTEBOOKS=a,b    test these notebooks (paths relative to the repository root)
                                  instead of every widget notebook in notebooks/ plus the demo fixture
  RNNLAB_README_SCREENSHOTS=x,y   copy test-artifacts/screenshots/<x>.png ... to images/screenshots/
                                  ("all" copies every one); screenshots are always written to
                                  test-artifacts/screenshots/<notebook stem>.png
  RNNLAB_CHROMIUM=/path           another Chromium binary (default /usr/bin/chromium)

JupyterLab is started exactly as `make lab` starts it (tools/start_lab.py: the repository as
the server's root, notebooks/ opened) plus test-only flags (port, token, temporary config).
Autosave is off and nothing is saved; the test asserts the committed notebooks are unchanged.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "browser" / "fixtures"
DEMO = FIXTURES / "widget_demo.ipynb"
BROKEN = FIXTURES / "broken_widgets.ipynb"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
README_SCREENSHOTS = ROOT / "images" / "screenshots"
CHROMIUM = os.environ.get("RNNLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-dev-shm-usage",
]
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
RUN_END_TIMEOUT_S = 180.0   # a Train click with no Stop button must finish within this
CHANGE_TIMEOUT_S = 20.0     # a widget must redraw within this (COMMON.md asks for < 2 s)
RUN_ALL_TIMEOUT_S = 240.0   # whole notebook under Run All
# A cell source that uses widgets; stored widget-view outputs also count.
USES_WIDGETS = re.compile(r"ipywidgets|\binteract|\bwidgets?\b")
# A cell that certainly displays a widget when run.
DISPLAYS_WIDGET = re.compile(r"\binteract(_manual)?\s*\(|@interact\b")
# How a Python exception looks once JupyterLab has rendered it (error outputs and stderr
# share one mime type in the DOM, so warnings must not count).
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*[A-Za-z_][\w.]*(Error|Exception)\b",
                       re.MULTILINE)
WIDGET_ERROR_TEXT = re.compile(r"Error displaying widget|model not found", re.IGNORECASE)


# --------------------------------------------------------------------------------------
# Requirements: skip locally, fail in CI (RNNLAB_REQUIRE_BROWSER=1)
# --------------------------------------------------------------------------------------

def missing_requirements() -> list[str]:
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} not found (apt-get install -y chromium, or tools/install_browser.sh)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package is not installed (pip install playwright, "
                       "or tools/install_browser.sh)")
    if importlib.util.find_spec("jupyterlab") is None:
        missing.append("jupyterlab is not installed (pip install -e '.[dev]')")
    return missing


def require_browser():
    missing = missing_requirements()
    if not missing:
        return
    reason = "browser test needs: " + "; ".join(missing)
    if os.environ.get("RNNLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (RNNLAB_REQUIRE_BROWSER=1 makes this an error)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------------------
# Which notebooks
# --------------------------------------------------------------------------------------

def read_nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def has_widget_output(cell: dict) -> bool:
    return any(WIDGET_VIEW_MIME in out.get("data", {}) for out in cell.get("outputs", []))


def uses_widgets(path: Path) -> bool:
    cells = [c for c in read_nb(path)["cells"] if c["cell_type"] == "code"]
    return any(has_widget_output(c) or USES_WIDGETS.search(source(c)) for c in cells)


def expected_widget_cells(nb: dict) -> set[int]:
    """Indices of cells that must show a rendered widget after Run All."""
    return {i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
            and (has_widget_output(c) or DISPLAYS_WIDGET.search(source(c)))}


def notebooks_to_test() -> list[Path]:
    chosen = os.environ.get("RNNLAB_BROWSER_NOTEBOOKS")
    if chosen:
        return [(ROOT / p.strip()).resolve() for p in chosen.split(",") if p.strip()]
    found = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if uses_widgets(p)]
    return found + [DEMO]


# --------------------------------------------------------------------------------------
# The JupyterLab server: one per module, always stopped
# --------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def descendants(pid: int) -> set[int]:
    """All descendant process ids of pid (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text[text.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] != "Z"     # a zombie is already dead


def write_lab_settings(settings_dir: Path):
    """No news popup, no autosave, every cell in the DOM, kernel starts without a dialog."""
    settings = {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    }
    for name, value in settings.items():
        path = settings_dir / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


@dataclass
class LabServer:
    base: str
    port: int
    root: Path
    proc: subprocess.Popen
    runtime_dir: Path
    log: Path
    kernel_ports: set[int] = field(default_factory=set)
    log_text: str = ""      # the whole server log, kept after the temporary folder is gone

    def log_now(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else self.log_text

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(self.base + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def note_kernel_ports(self):
        """Remember every port a kernel listens on, to check they close at the end."""
        for conn in self.runtime_dir.glob("kernel-*.json"):
            with contextlib.suppress(OSError, ValueError):
                info = json.loads(conn.read_text())
                self.kernel_ports |= {v for k, v in info.items() if k.endswith("_port")}

    def stop_sessions(self):
        self.note_kernel_ports()
        with contextlib.suppress(Exception):
            for s in self.api("/api/sessions"):
                self.api(f"/api/sessions/{s['id']}", method="DELETE")


def load_start_lab():
    """tools/start_lab.py as a module: the command `make lab` runs."""
    spec = importlib.util.spec_from_file_location("start_lab", ROOT / "tools" / "start_lab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Test-only options added after `make lab`'s own: a free loopback port, no token, no browser.
def lab_test_flags(port: int) -> list[str]:
    return ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token="]


def course_files() -> dict[Path, str]:
    """sha256 of every notebook the server can open: the test must leave them as committed."""
    import hashlib

    files = [p for d in ("notebooks", "classroom", "tests/browser/fixtures") for p in (ROOT / d).rglob("*.ipynb")
             if ".ipynb_checkpoints" not in p.parts]
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def checkpoint_dirs() -> set[Path]:
    return {p for d in ("notebooks", "classroom", "tests") for p in (ROOT / d).rglob(".ipynb_checkpoints")}


@contextlib.contextmanager
def lab_server(notebooks: list[Path]):
    """JupyterLab started as `make lab` starts it (tools/start_lab.py: the repository as root,
    notebooks/ opened), plus test-only flags and temporary config; stopped on exit.

    The committed notebooks are served in place: autosave is off, nothing is saved, and
    the fixture checks afterwards that no notebook changed.  `notebooks` must lie in ROOT.
    """
    outside = [nb for nb in notebooks if ROOT not in nb.resolve().parents]
    if outside:
        raise ValueError(f"lab_server: notebooks must be inside {ROOT}, got {outside}")
    tmp = Path(tempfile.mkdtemp(prefix="rnnlab-browser-"))
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                "JUPYTERLAB_WORKSPACES_DIR"):
        env[var] = str(tmp / var.lower())
        Path(env[var]).mkdir()
    write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    # The kernel must import this checkout's rnnlab.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.pop("JUPYTER_TOKEN", None)
    checkpoints_before = checkpoint_dirs()
    port = free_port()
    log = tmp / "jupyterlab.log"
    cmd = load_start_lab().lab_command(lab_test_flags(port))
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", port, ROOT, proc,
                       Path(env["JUPYTER_RUNTIME_DIR"]), log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                server.api("/api/status")
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield server
    finally:
        stop_server(server)
        server.log_text = log.read_text(errors="replace") if log.exists() else ""
        for p in checkpoint_dirs() - checkpoints_before:
            shutil.rmtree(p, ignore_errors=True)    # made by JupyterLab on open
        shutil.rmtree(tmp, ignore_errors=True)


def stop_server(server: LabServer):
    """Stop the server, its kernels (own process groups) and anything they started."""
    server.note_kernel_ports()
    family = descendants(server.proc.pid) | {server.proc.pid}
    if server.proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGTERM)    # graceful: shuts its kernels down
        try:
            server.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in family:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def assert_stopped(server: LabServer):
    assert server.proc.poll() is not None, "JupyterLab is still running"
    still_open = sorted(p for p in {server.port} | server.kernel_ports if port_open(p))
    assert not still_open, f"ports still listening after teardown: {still_open}"


# --------------------------------------------------------------------------------------
# Driving one notebook
# --------------------------------------------------------------------------------------

@dataclass
class Problem:
    cell: int          # notebook cell index (-1: the whole notebook)
    kind: str          # not-executed | error-output | widget-error | not-rendered | no-change |
                       # callback-error | console-error | run-timeout | not-operable
    message: str

    def __str__(self):
        where = f"cell {self.cell}" if self.cell >= 0 else "notebook"
        return f"{where}: [{self.kind}] {self.message}"


@dataclass
class Report:
    notebook: str
    problems: list[Problem] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)     # what was moved/pressed, and how long
    widget_cells: list[int] = field(default_factory=list)
    cell_text: dict[int, str] = field(default_factory=dict)
    screenshot: Path | None = None
    seconds: float = 0.0

    def add(self, cell, kind, message):
        self.problems.append(Problem(cell, kind, message))

    def summary(self) -> str:
        lines = [f"{self.notebook}: {len(self.problems)} problem(s), {self.seconds:.1f} s"]
        lines += [f"  {p}" for p in self.problems]
        lines += [f"  did: {a}" for a in self.actions]
        return "\n".join(lines)


# Elements that are controls (their readouts and labels change when acted on, so they are
# left out when deciding whether the *output* changed).
CONTROL_SELECTOR = (".widget-slider, .widget-dropdown, .widget-button, .widget-toggle-button, "
                    ".widget-toggle-buttons, .widget-checkbox, .widget-text, .widget-play, "
                    ".widget-select, .widget-radio")

JS_CELLS = """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(cell => {
  const prompt = cell.querySelector('.jp-InputPrompt');
  const area = cell.querySelector('.jp-Cell-outputArea') || cell.querySelector('.jp-OutputArea');
  const texts = area ? Array.from(area.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(o => o.innerText) : [];
  return {
    code: cell.classList.contains('jp-CodeCell'),
    prompt: prompt ? prompt.innerText.trim() : '',
    stderr: texts,
    widgets: area ? area.querySelectorAll('.jupyter-widgets').length : 0,
    text: area ? area.innerText : '',
  };
})"""

# Outputs a widget can drive, per cell: text and image sources with the controls removed.
JS_SNAPSHOT = """(controlSelector) => {
  const hash = s => { let h = 5381; for (let i = 0; i < s.length; i++) h = ((h * 33) ^ s.charCodeAt(i)) >>> 0; return h.toString(16) + ':' + s.length; };
  return Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(cell => {
    const area = cell.querySelector('.jp-Cell-outputArea');
    if (!area) return '';
    const copy = area.cloneNode(true);
    copy.querySelectorAll(controlSelector).forEach(e => e.remove());
    // A failed widget view turns into an error message some seconds later; that is
    // reported on its own and must not count as a control changing an output.
    copy.querySelectorAll('.jupyter-widgets').forEach(e => {
      if (/Error displaying widget/.test(e.textContent)) e.remove(); });
    const imgs = Array.from(copy.querySelectorAll('img')).map(i => hash(i.getAttribute('src') || ''));
    const svgs = Array.from(copy.querySelectorAll('svg')).map(s => hash(s.outerHTML));
    return copy.textContent + '|img:' + imgs.join(',') + '|svg:' + svgs.join(',');
  });
}"""

# Mark the controls of one cell with data-rnnlab-control and describe them.
JS_CONTROLS = """([index, tag]) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const area = cell.querySelector('.jp-Cell-outputArea');
  const found = [];
  const label = el => { const l = el.querySelector('.widget-label'); return l ? l.innerText.trim() : ''; };
  const mark = (el, kind, name, extra) => {
    const id = tag + '-' + found.length;
    el.setAttribute('data-rnnlab-control', id);
    found.push(Object.assign({id, kind, name}, extra || {}));
  };
  area.querySelectorAll('.widget-slider').forEach(s => {
    const h = s.querySelector('.noUi-handle');
    if (h && !s.querySelector('[disabled]') && !s.classList.contains('mod-disabled'))
      mark(h, 'slider', label(s), {now: h.getAttribute('aria-valuenow'), max: h.getAttribute('aria-valuemax')});
  });
  area.querySelectorAll('.widget-dropdown select').forEach(s => {
    if (!s.disabled && s.options.length > 1) mark(s, 'dropdown', label(s.closest('.widget-dropdown')));
  });
  area.querySelectorAll('.widget-checkbox input[type=checkbox]').forEach(c => {
    if (!c.disabled) mark(c, 'checkbox', label(c.closest('.widget-checkbox')));
  });
  area.querySelectorAll('.widget-toggle-buttons').forEach(g => {
    const b = Array.from(g.querySelectorAll('button')).find(b => !b.classList.contains('mod-active') && !b.disabled);
    if (b) mark(b, 'toggle', b.innerText.trim());
  });
  area.querySelectorAll('button.widget-button, button.widget-toggle-button').forEach(b => {
    if (!b.disabled && !b.closest('.widget-toggle-buttons') && !b.closest('.widget-play'))
      mark(b, 'button', b.innerText.trim() || b.title);
  });
  return found;
}"""


# Layout of one cell's output: every shown image (drawn box vs the PNG's own size) and every
# control label (text cut off when it needs more room than it has).
JS_LAYOUT = """(index) => {
  const area = document.querySelectorAll('.jp-Notebook .jp-Cell')[index].querySelector('.jp-Cell-outputArea');
  if (!area) return {images: [], labels: []};
  const shown = e => e.offsetParent !== null && e.clientWidth > 0;
  return {
    images: Array.from(area.querySelectorAll('img')).filter(shown).map(i => ({
      w: i.clientWidth, h: i.clientHeight, nw: i.naturalWidth, nh: i.naturalHeight,
      left: Math.round(i.getBoundingClientRect().left)})),
    labels: Array.from(area.querySelectorAll('.widget-label')).filter(shown)
      .filter(l => l.textContent.trim())
      .map(l => ({text: l.textContent.trim(), sw: l.scrollWidth, cw: l.clientWidth})),
  };
}"""

# The text of a cell's HTML widgets (status lines).
JS_STATUS = """(index) => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')[index]
  .querySelectorAll('.jp-Cell-outputArea .widget-html')).map(e => e.innerText).join(' | ')"""

ASPECT_TOLERANCE = 0.03     # drawn width/height may differ from the PNG's by 3 %
STATUS_TIMEOUT_S = 10.0     # a status counter must move within this while a run goes on


def layout_problems(page, cell_index: int) -> list[tuple[str, str]]:
    """(kind, message) for each stretched image and each cut-off control label in a cell."""
    found = []
    layout = page.evaluate(JS_LAYOUT, cell_index)
    for img in layout["images"]:
        if img["nw"] and img["nh"] and img["h"]:
            drawn, own = img["w"] / img["h"], img["nw"] / img["nh"]
            if abs(drawn / own - 1) > ASPECT_TOLERANCE:
                found.append(("stretched-image", f"image drawn {img['w']}x{img['h']} px, its PNG is "
                              f"{img['nw']}x{img['nh']} (aspect ratio off by {100 * abs(drawn / own - 1):.0f} %)"))
    for label in layout["labels"]:
        if label["sw"] > label["cw"] + 1:
            found.append(("truncated-label", f"label {label['text']!r} needs {label['sw']} px, has {label['cw']}"))
    return found


def plot_lefts(page, cell_index: int) -> list[int]:
    return [img["left"] for img in page.evaluate(JS_LAYOUT, cell_index)["images"]]


def tracebacks(cells: list[dict]) -> dict[int, list[str]]:
    out = {}
    for i, c in enumerate(cells):
        errs = [t for t in c["stderr"] if TRACEBACK.search(t)]
        if errs:
            out[i] = errs
    return out


def first_lines(text: str, n: int = 3) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip() and not set(ln.strip()) <= {"-"}]
    return " | ".join(lines[-n:])[:300]


def open_notebook(page, server: LabServer, relpath: str):
    page.goto(f"{server.base}/lab/tree/{relpath}?reset")    # ?reset: do not reopen earlier tabs
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    deadline = time.monotonic() + 90
    while True:     # wait for this notebook's kernel to be idle
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        if dialog.count():          # "Select Kernel" if the setting was not applied
            dialog.first.click()
        sessions = [s for s in server.api("/api/sessions") if s["path"] == relpath]
        if sessions and sessions[0]["kernel"]["execution_state"] == "idle":
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{relpath}: kernel not idle after 90 s: {sessions}")
        time.sleep(0.3)
    server.note_kernel_ports()


def run_all(page, server: LabServer, relpath: str) -> bool:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline = time.monotonic() + RUN_ALL_TIMEOUT_S
    quiet = 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        busy = any("*" in c["prompt"] for c in page.evaluate(JS_CELLS))
        states = [s["kernel"]["execution_state"] for s in server.api("/api/sessions")
                  if s["path"] == relpath]
        quiet = quiet + 1 if not busy and states == ["idle"] else 0
        if quiet >= 3:
            return True
    return False


def wait_for_change(page, before: list[str], timeout: float) -> tuple[list[str], float] | None:
    """Poll until the outputs differ from `before`, and keep differing for 0.75 s.

    interact clears its output and draws again, so a momentary difference that settles
    back to the old picture is not a change.  A live plot never stops moving, so the
    new picture need not be still: it must only stay different from the old one."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        now = page.evaluate(JS_SNAPSHOT, CONTROL_SELECTOR)
        if now != before:
            differing = 0
            while differing < 3 and time.monotonic() - start < timeout:
                time.sleep(0.25)
                now = page.evaluate(JS_SNAPSHOT, CONTROL_SELECTOR)
                differing = differing + 1 if now != before else 0
                if now == before:
                    break
            if differing >= 3:
                return now, time.monotonic() - start
        time.sleep(0.2)
    return None


def wait_until_still(page, quiet_s: float = 1.0, timeout: float = 10.0):
    """Wait until nothing in the outputs moves for quiet_s (late renders, images loading)."""
    start, last, since = time.monotonic(), None, time.monotonic()
    while time.monotonic() - start < timeout:
        now = page.evaluate(JS_SNAPSHOT, CONTROL_SELECTOR)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.2)


def stop_background_run(page, cell_index: int, submit: dict) -> str | None:
    """A Start button that launches a background run is disabled until the run ends.

    Press the cell's Stop button (if the run is still going) and wait for Start to be
    enabled again.  Returns a problem description, or None when all is well (also
    when the cell has no such run).
    """
    start_btn = page.locator(f"[data-rnnlab-control='{submit['id']}']")
    time.sleep(0.5)  # let the button's disabled state reach the page
    if start_btn.is_enabled():
        return None
    cell = page.locator(".jp-Notebook .jp-Cell").nth(cell_index)
    stop = cell.locator("button.widget-button", has_text=re.compile(r"^\s*stop", re.IGNORECASE))
    if stop.count():
        # A run long enough to need Stop must show its progress in words too: the status
        # text changes while Start is still disabled.
        status = page.evaluate(JS_STATUS, cell_index)
        deadline = time.monotonic() + STATUS_TIMEOUT_S
        while page.evaluate(JS_STATUS, cell_index) == status and not start_btn.is_enabled():
            if time.monotonic() > deadline:
                frozen = (f"[status-frozen] the status text stayed {status[:160]!r} for "
                          f"{STATUS_TIMEOUT_S:.0f} s while the run went on")
                break
            time.sleep(0.2)
        else:
            frozen = None
        try:
            stop.first.click(timeout=CHANGE_TIMEOUT_S * 1000)
        except Exception as e:
            return f"button {submit['name']!r} is disabled (a run is going) and Stop could not be pressed: " \
                   f"{str(e).splitlines()[0][:200]}"
        limit, why = CHANGE_TIMEOUT_S, "Stop did not end the background run"
    else:  # no Stop button: the run (e.g. a Train click) must end by itself
        limit, why = RUN_END_TIMEOUT_S, "the run did not end"
        frozen = None
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if start_btn.is_enabled():
            return frozen
        time.sleep(0.2)
    return f"{why}: {submit['name']!r} still disabled after {limit:.0f} s"


def act(page, control: dict):
    loc = page.locator(f"[data-rnnlab-control='{control['id']}']")
    loc.wait_for(state="visible", timeout=CHANGE_TIMEOUT_S * 1000)
    loc.scroll_into_view_if_needed()
    kind = control["kind"]
    if kind == "slider":
        loc.focus()
        with contextlib.suppress(TypeError, ValueError):
            at_max = float(control["now"]) >= float(control["max"])
        at_max = locals().get("at_max", False)
        loc.press("ArrowLeft" if at_max else "ArrowRight")
        return "ArrowLeft" if at_max else "ArrowRight"
    if kind == "dropdown":
        current = loc.evaluate("s => s.selectedIndex")
        count = loc.evaluate("s => s.options.length")
        loc.select_option(index=(current + 1) % count)
        return f"option {(current + 1) % count}"
    loc.click(timeout=CHANGE_TIMEOUT_S * 1000)    # waits while a button is disabled (training)
    return "click"


def check_notebook(browser, server: LabServer, notebook: Path, screenshot: Path | None,
                   change_timeout: float = CHANGE_TIMEOUT_S) -> Report:
    """Open, Run All, act on every control; return every problem found (never raises on them)."""
    start = time.monotonic()
    relpath = notebook.relative_to(ROOT).as_posix()
    nb = read_nb(notebook)
    report = Report(relpath)
    raises_ok = {i for i, c in enumerate(nb["cells"])
                 if "raises-exception" in c.get("metadata", {}).get("tags", [])}
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    try:
        open_notebook(page, server, relpath)
        if not run_all(page, server, relpath):
            report.add(-1, "run-timeout", f"Run All did not finish in {RUN_ALL_TIMEOUT_S:.0f} s")
        cells = page.evaluate(JS_CELLS)
        if len(cells) != len(nb["cells"]):
            report.add(-1, "not-rendered", f"{len(cells)} cells in the page, {len(nb['cells'])} in the file")
        for i, c in enumerate(cells):
            report.cell_text[i] = c["text"]
            if c["code"] and source(nb["cells"][i]).strip() and not re.fullmatch(r"\[\d+\]:", c["prompt"]):
                report.add(i, "not-executed", f"prompt is {c['prompt']!r} after Run All")
        for i, errs in tracebacks(cells).items():
            if i not in raises_ok:
                report.add(i, "error-output", first_lines(errs[0]))
        for i in sorted(expected_widget_cells(nb)):
            if i < len(cells) and cells[i]["widgets"] == 0:
                report.add(i, "not-rendered", "a widget was expected here but none rendered")
        report.widget_cells = [i for i, c in enumerate(cells) if c["widgets"]]
        if not report.widget_cells:
            report.add(-1, "not-rendered", "no widget rendered anywhere in the notebook")

        shot_cell = None
        for i in report.widget_cells:
            controls = page.evaluate(JS_CONTROLS, [i, f"c{i}"])
            # A cell with a button and settings (interact_manual, "Train" dashboards) applies
            # a setting only when its first button is pressed.
            buttons = [c for c in controls if c["kind"] == "button"]
            submit = next((c for c in buttons if c["name"] == "Run Interact"), buttons[0] if buttons else None)
            if controls and shot_cell is None:
                shot_cell = i
            for control in controls:
                if control is submit and len(controls) > 1:
                    continue        # exercised with every setting below
                wait_until_still(page)
                before = page.evaluate(JS_SNAPSHOT, CONTROL_SELECTOR)
                lefts_before = plot_lefts(page, i)
                errors_before = tracebacks(page.evaluate(JS_CELLS))
                try:
                    how = act(page, control)
                except Exception as e:      # disabled for good, hidden, detached
                    report.add(i, "not-operable", f"{control['kind']} {control['name']!r}: "
                               f"{str(e).splitlines()[0][:200]}")
                    continue
                what = f"{control['kind']} {control['name']!r} ({how})"
                changed = None
                if control["kind"] != "button" and submit is not None:
                    changed = wait_for_change(page, before, 3.0)
                    if changed is None:
                        try:
                            act(page, submit)
                        except Exception as e:
                            report.add(i, "not-operable", f"after {what}: button {submit['name']!r}: "
                                       f"{str(e).splitlines()[0][:200]}")
                            continue
                        what += f" + button {submit['name']!r}"
                if changed is None:
                    changed = wait_for_change(page, before, change_timeout)
                if changed is None:
                    report.add(i, "no-change", f"{what} changed no output within {change_timeout:.0f} s")
                    continue
                report.actions.append(f"cell {i}: {what} -> output changed in {changed[1]:.2f} s")
                if submit is not None:  # a Start that launched a background run: Stop must end it
                    problem = stop_background_run(page, i, submit)
                    if problem and problem.startswith("[status-frozen] "):
                        report.add(i, "status-frozen", problem.split("] ", 1)[1])
                    elif problem:
                        report.add(i, "not-operable", problem)
                    else:
                        report.actions.append(f"cell {i}: background run stopped, {submit['name']!r} enabled")
                    wait_until_still(page)
                    after = plot_lefts(page, i)
                    if lefts_before and after and after[:len(lefts_before)] != lefts_before[:len(after)]:
                        report.add(i, "plot-moved", f"plot moved sideways: x = {lefts_before} before {what}, "
                                   f"{after} after the run ended")
                for j, errs in tracebacks(page.evaluate(JS_CELLS)).items():
                    new = [e for e in errs if e not in errors_before.get(j, [])]
                    if new and j not in raises_ok:
                        report.add(j, "callback-error", f"after {what} in cell {i}: {first_lines(new[0])}")
        # Layout after every control was used (runs ended, status lines at their longest):
        # pictures at their drawn aspect ratio, no label cut off.
        for i in report.widget_cells:
            for kind, message in layout_problems(page, i):
                report.add(i, kind, message)
        # "model not found" appears only after the widget manager gives up waiting, so
        # look for it last, after every control has been exercised.
        for i, c in enumerate(page.evaluate(JS_CELLS)):
            if WIDGET_ERROR_TEXT.search(c["text"]):
                report.add(i, "widget-error", first_lines(c["text"]))
        widget_console = [m for m in console if re.search(r"widget|model not found", m, re.IGNORECASE)]
        for m in widget_console:
            report.add(-1, "console-error", m.splitlines()[0][:300])

        if screenshot is not None and report.widget_cells:
            i = shot_cell if shot_cell is not None else report.widget_cells[0]
            area = page.locator(".jp-Notebook .jp-Cell").nth(i).locator(".jp-Cell-outputArea")
            area.scroll_into_view_if_needed()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            area.screenshot(path=str(screenshot))
            report.screenshot = screenshot
    finally:
        page.close()
        server.stop_sessions()
    report.seconds = time.monotonic() - start
    return report


def copy_readme_screenshots(chosen: str | None, shots: Path = SCREENSHOTS, dest: Path = README_SCREENSHOTS):
    """Copy chosen screenshots (comma-separated stems, or "all") into images/screenshots/."""
    if not chosen:
        return []
    names = [p.stem for p in shots.glob("*.png")] if chosen.strip() == "all" else \
        [s.strip() for s in chosen.split(",") if s.strip()]
    copied = []
    for stem in names:
        src = shots / f"{stem}.png"
        if src.is_file():
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / src.name)
            copied.append(dest / src.name)
    return copied


# --------------------------------------------------------------------------------------
# Fixtures and tests
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lab():
    require_browser()
    from playwright.sync_api import sync_playwright

    committed = course_files()
    with lab_server(notebooks_to_test() + [DEMO, BROKEN]) as server:
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    yield server, browser
                finally:
                    browser.close()
        finally:
            stop_server(server)
    assert_stopped(server)     # nothing left listening: the server and every kernel port
    changed = [p.relative_to(ROOT).as_posix() for p, h in course_files().items() if committed.get(p) != h]
    assert not changed, f"the browser test changed committed notebooks: {changed}"


@pytest.mark.parametrize("notebook", notebooks_to_test(),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_widgets_work_in_jupyterlab(lab, notebook):
    server, browser = lab
    report = check_notebook(browser, server, notebook, SCREENSHOTS / f"{notebook.stem}.png")
    print(report.summary())
    assert not report.problems, report.summary()
    if notebook == DEMO:
        # The demo has one of each: all three must have been driven, and the kernel
        # must have imported this checkout's rnnlab.
        kinds = {a.split(": ", 1)[1].split()[0] for a in report.actions}
        assert {"slider", "dropdown", "button"} <= kinds, report.summary()
        assert f"rnnlab from: {ROOT / 'rnnlab'}" in report.cell_text[1], report.cell_text[1]
    copy_readme_screenshots(os.environ.get("RNNLAB_README_SCREENSHOTS"))


def course_notebooks() -> list[Path]:
    """Every notebook a student opens: the lessons and the classroom's."""
    found = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "classroom").rglob("*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


# Every image in the open notebook (markdown diagrams and stored plot outputs).
JS_IMAGES = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) img'))
  .map(i => ({src: (i.getAttribute('src') || '').slice(0, 80), complete: i.complete, nw: i.naturalWidth}))"""
# JupyterLab marks a modified document's tab (and panel) with jp-mod-dirty.
JS_DIRTY = """() => document.querySelectorAll('.lm-TabBar-tab.jp-mod-dirty, .jp-NotebookPanel.jp-mod-dirty').length"""
SETTLE_S = 3.0      # after the kernel is idle: metadata updates (kernelspec, language_info) arrive by then


def test_course_opens_clean_with_every_image(lab):
    """Each notebook, opened as a student opens it via `make lab`: every <img> loaded
    (naturalWidth > 0: ../images/... resolve from the server's root) and, once the kernel
    has started and everything settled, the notebook is not marked modified."""
    server, browser = lab
    problems, seen = [], {}
    for nb in course_notebooks():
        relpath = nb.relative_to(ROOT).as_posix()
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        try:
            open_notebook(page, server, relpath)
            deadline = time.monotonic() + 30
            while True:
                images = page.evaluate(JS_IMAGES)
                if all(i["complete"] for i in images) or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            time.sleep(SETTLE_S)
            seen[relpath] = len(images)
            for img in page.evaluate(JS_IMAGES):
                if not (img["complete"] and img["nw"] > 0):
                    problems.append(f"{relpath}: image did not load: {img['src']!r}")
            if page.evaluate(JS_DIRTY):
                # JupyterLab writes the kernel's language_info into the notebook; any difference
                # (measured: a different Python version) marks it modified.
                stored = read_nb(nb)["metadata"].get("language_info", {}).get("version")
                why = "" if stored == platform.python_version() else (
                    f": its stored language_info.version is {stored!r}, the kernel runs "
                    f"{platform.python_version()}; store outputs with tools/run_notebooks.py under CI's Python")
                problems.append(f"{relpath}: marked modified right after opening (no edit was made){why}")
        finally:
            page.close()
            server.stop_sessions()
    print("images per notebook:", seen)
    assert sum(seen.values()) > 0, "no image found in any notebook: is the page rendered?"
    assert not problems, "\n".join(problems)


# A request the server answered 404: "[W ... ServerApp] 404 GET /files/images/x.png (...)"
LOG_404 = re.compile(r"\b404 (GET|HEAD|POST|PUT|PATCH|DELETE) (\S+)")


def test_server_logged_no_404(lab):
    """Nothing any notebook, image or widget asked for was missing (runs after the tests above)."""
    server, _ = lab
    missing = sorted({m.group(2) for m in LOG_404.finditer(server.log_now())})
    assert not missing, f"the server answered 404 for: {missing}"


def test_checker_detects_broken_widgets(lab):
    """Negative proof: every defect planted in broken_widgets.ipynb is reported."""
    server, browser = lab
    # The working widgets redraw in about 1 s; 8 s is plenty to call a frozen one frozen.
    report = check_notebook(browser, server, BROKEN, screenshot=None, change_timeout=8.0)
    print(report.summary())
    found = {(p.cell, p.kind) for p in report.problems}
    expected = {
        (2, "no-change"),        # slider whose callback ignores it
        (3, "callback-error"),   # slider whose callback raises when moved
        (4, "no-change"),        # button without a handler
        (5, "widget-error"),     # view of a model that does not exist
        (6, "stretched-image"),  # plot stretched to the controls column's height
        (6, "truncated-label"),  # "a very long description of this slider" cut off
        (7, "status-frozen"),    # status says "0 steps - training..." for the whole run
        (8, "error-output"),     # ordinary cell that raises (last: Run All stops there)
    }
    assert expected <= found, f"missed: {expected - found}\n{report.summary()}"
    # The planted defects and nothing else: the working setup cell is not blamed.
    assert not {c for c, _ in found if c in (0, 1)}, report.summary()


def test_server_teardown_leaves_nothing_listening():
    """The server is stopped even when the body fails, and no port stays open."""
    require_browser()
    with pytest.raises(RuntimeError, match="simulated failure"):
        with lab_server([DEMO]) as server:
            assert port_open(server.port)
            raise RuntimeError("simulated failure")
    assert_stopped(server)
    assert not any(alive(p) for p in descendants(server.proc.pid))


def test_readme_screenshot_copy(tmp_path):
    shots, dest = tmp_path / "shots", tmp_path / "dest"
    shots.mkdir()
    (shots / "a.png").write_bytes(b"\x89PNG a")
    (shots / "b.png").write_bytes(b"\x89PNG b")
    assert copy_readme_screenshots(None, shots, dest) == []
    assert [p.name for p in copy_readme_screenshots("b", shots, dest)] == ["b.png"]
    assert (dest / "b.png").read_bytes() == b"\x89PNG b" and not (dest / "a.png").exists()
    assert sorted(p.name for p in copy_readme_screenshots("all", shots, dest)) == ["a.png", "b.png"]
