"""Photoshare's whole local stack, started as `make run` starts it, and a browser-like client.

    with Stack(workers=2) as stack:
        browser = stack.sign_in()                       # a verified user, through the login form
        album = browser.create_album("Camera roll")     # through the album list's form
        photo_id = browser.upload_one(album, data, "photo.jpg", "image/jpeg")  # ticket, POST
        watcher = ChangesWatcher(browser.clone(), album)  # long-polls the changes endpoint
        watcher.start()
        watcher.wait_final([photo_id], timeout=60)

``Stack`` makes a temporary var/ folder (the installed models are used where they are) and, with
a PostgreSQL DATABASE_URL, a scratch database beside the one named (``ScratchDatabase``), applies
the migrations, collects the static files and runs scripts/run-local with PHOTOSHARE_BIND on a
free port, in a process group of its own; it waits for /healthz, and on leaving (an error,
Ctrl-C and SIGTERM included) stops the whole group. The server's output goes to
var/bench/stack.log. ``WorkerProcesses`` finds the stack's processes in /proc by role (the
pipeline's worker children, for killing them; the web server), and ``ProcessSampler`` samples
their memory and CPU time. Used by bench/import_photos.py and bench/local_pipeline.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import dj_database_url
import requests

from processing.recognition.models.manifest import default_models_dir

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "var" / "bench" / "stack.log"
LONG_POLL_SECONDS = 20  # as the album page asks (changes?since=...&wait=20); at most 25
START_SECONDS = 180  # migrations, collectstatic and two gunicorn workers on a busy 2-core machine


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _exit_on_sigterm() -> None:
    """Turns SIGTERM into SystemExit, so `with Stack()` cleans up when the benchmark is stopped."""

    def leave(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, leave)


class ScratchDatabase:
    """The stack's own Django database. Without DATABASE_URL (or with a SQLite one) that is a
    SQLite file in the temporary var/ folder; with a PostgreSQL URL (`scripts/with-postgres`,
    or a developer's own server) a new database beside the one named, dropped on stop, so a
    benchmark never writes into anyone's data."""

    def __init__(self, url: str | None) -> None:
        self.url: str | None = None  # DATABASE_URL for the stack; None: SQLite in var/
        self._server: dict[str, Any] = {}
        if not url or not url.startswith(("postgres://", "postgresql://", "pgsql://")):
            return
        parsed = dj_database_url.parse(url)
        self._server = {
            "host": parsed.get("HOST") or None,
            "port": parsed.get("PORT") or None,
            "user": parsed.get("USER") or None,
            "password": parsed.get("PASSWORD") or None,
            "dbname": parsed.get("NAME") or "postgres",
        }
        self.name = f"photoshare_bench_{secrets.token_hex(4)}"
        self.url = urlsplit(url)._replace(path=f"/{self.name}").geturl()

    def _run(self, statement: str) -> None:
        import psycopg  # only a PostgreSQL stack needs the driver
        from psycopg import sql

        with psycopg.connect(**self._server, autocommit=True) as connection:
            connection.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    def create(self) -> None:
        if self.url is not None:
            self._run("CREATE DATABASE {}")

    def drop(self) -> None:
        if self.url is not None:
            self._run("DROP DATABASE IF EXISTS {} WITH (FORCE)")


class Stack:
    """The web server and the pipeline workers on a temporary var/ folder (see the module doc)."""

    def __init__(self, *, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var_dir = Path(tempfile.mkdtemp(prefix="photoshare-bench-"))
        self.database = ScratchDatabase(os.environ.get("DATABASE_URL"))
        outside = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env = {
            **outside,
            **({"DATABASE_URL": self.database.url} if self.database.url else {}),
            "PHOTOSHARE_BACKEND": "local",
            "PHOTOSHARE_VAR_DIR": str(self.var_dir),
            "PHOTOSHARE_MODELS_DIR": str(default_models_dir().resolve()),
            "PHOTOSHARE_BIND": f"127.0.0.1:{self.port}",
            "PHOTOSHARE_WORKERS": str(workers),
            "PYTHONPATH": str(ROOT),
            "VENV": sys.prefix,  # scripts/run-local's .venv: the one running this benchmark
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in = 0.0  # seconds from start() to /healthz answering

    def __enter__(self) -> Stack:
        _exit_on_sigterm()
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if kind is not None and not issubclass(kind, KeyboardInterrupt):
            print(f"(the server's output is in {LOG})", file=sys.stderr)

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        """As `make run`: migrate, collectstatic, then scripts/run-local; waits for /healthz."""
        began = time.monotonic()
        self.database.create()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        LOG.parent.mkdir(parents=True, exist_ok=True)
        with LOG.open("wb") as log:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "run-local")],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as a whole
            )
        self._wait_healthy()
        self.started_in = time.monotonic() - began

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise StackError(f"scripts/run-local exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet, or still loading
            time.sleep(0.3)
        raise StackError(f"no answer from {self.url}/healthz after {START_SECONDS} s")

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL to whatever is left 20 s later."""
        if self.process is not None:
            group = self.process.pid  # the session leader: its pid is the group's id
            _signal_group(group, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while _group_alive(group) and time.monotonic() < deadline:
                time.sleep(0.1)
                self.process.poll()
            _signal_group(group, signal.SIGKILL)
            self.process.wait()
            self.process = None
        self.database.drop()
        shutil.rmtree(self.var_dir, ignore_errors=True)

    def exit_code(self) -> int | None:
        """scripts/run-local's exit status once it has stopped (it stops when either the web
        server or the worker parent does), None while it runs."""
        return self.process.poll() if self.process is not None else None

    @property
    def group(self) -> int:
        if self.process is None:
            raise StackError("the stack is not running")
        return self.process.pid

    def create_user(self, email: str, password: str) -> None:
        """A user with a verified primary address, as if they had clicked the mail's link."""
        code = (
            "import os\n"
            "from allauth.account.models import EmailAddress\n"
            "from accounts.models import User\n"
            "e, p = os.environ['BENCH_EMAIL'], os.environ['BENCH_PASSWORD']\n"
            "u = User.objects.create_user(e, p)\n"
            "EmailAddress.objects.create(user=u, email=e, verified=True, primary=True)\n"
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env={**self.env, "BENCH_EMAIL": email, "BENCH_PASSWORD": password},
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def sign_in(self) -> Browser:
        """A new verified user, signed in through the login form."""
        email = f"bench-{secrets.token_hex(4)}@example.com"
        password = secrets.token_urlsafe(16)
        self.create_user(email, password)
        browser = Browser(self.url)
        browser.log_in(email, password)
        return browser

    def workers_processes(self) -> WorkerProcesses:
        return WorkerProcesses(self.group)


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


def _group_alive(group: int) -> bool:
    """Whether any process of the group still runs (zombies waiting for a reaper do not)."""
    return any(p.group == group and p.state != "Z" for p in _processes())


# --- the browser -------------------------------------------------------------------------------

_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ALBUM_URL = re.compile(r"/albums/(\d+)/$")


class Browser:
    """What the album page's JavaScript does, over HTTP, with the session's cookies.

    One Browser per thread: ``clone()`` gives another one with the same cookies."""

    def __init__(self, url: str, cookies: requests.cookies.RequestsCookieJar | None = None) -> None:
        self.url = url
        self.session = requests.Session()
        if cookies is not None:
            self.session.cookies.update(cookies)

    def clone(self) -> Browser:
        return Browser(self.url, self.session.cookies)

    def _form_token(self, path: str) -> str:
        page = self.session.get(self.url + path, timeout=60)
        page.raise_for_status()
        found = _CSRF_FIELD.search(page.text)
        if found is None:
            raise StackError(f"no CSRF field on {path}")
        return found.group(1)

    def _post_form(self, path: str, fields: dict[str, str]) -> requests.Response:
        token = self._form_token(path)
        return self.session.post(
            self.url + path,
            data={"csrfmiddlewaretoken": token, **fields},
            headers={"Referer": self.url + path},
            allow_redirects=False,
            timeout=60,
        )

    def log_in(self, email: str, password: str) -> None:
        answer = self._post_form("/accounts/login/", {"login": email, "password": password})
        if answer.status_code != 302:
            raise StackError(f"login failed: {answer.status_code}")

    def create_album(self, name: str) -> int:
        """Through the album list's form; the answer redirects to the new album."""
        answer = self._post_form("/albums/", {"name": name})
        found = _ALBUM_URL.search(answer.headers.get("Location", ""))
        if answer.status_code != 302 or found is None:
            raise StackError(f"album not created: {answer.status_code}")
        return int(found.group(1))

    def tickets(self, album: int, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One ticket (or duplicate, or error) per file, in order: 1 to 100 files."""
        answer = self.session.post(
            f"{self.url}/albums/{album}/uploads/",
            json={"files": files},
            headers={"X-CSRFToken": self.session.cookies.get("csrftoken") or ""},
            timeout=120,
        )
        if answer.status_code != 200:
            raise StackError(f"tickets: {answer.status_code} {answer.text[:300]}")
        tickets: list[dict[str, Any]] = answer.json()["tickets"]
        if len(tickets) != len(files):
            raise StackError(f"asked {len(files)} tickets, got {len(tickets)}")
        return tickets

    def upload(self, ticket: dict[str, Any], data: bytes, filename: str, content_type: str) -> int:
        """The presigned POST: the ticket's fields, then the file last. Returns the HTTP status."""
        answer = self.session.post(
            urljoin(self.url + "/", ticket["upload"]["url"]),
            data=ticket["upload"]["fields"],
            files={"file": (filename, data, content_type)},
            timeout=300,
        )
        return answer.status_code

    def upload_one(self, album: int, data: bytes, filename: str, content_type: str) -> str:
        """One file as the page sends it: its ticket, then the POST to storage; its photo id."""
        offer = {
            "filename": filename,
            "contentType": content_type,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        (ticket,) = self.tickets(album, [offer])
        if "photoId" not in ticket:
            raise StackError(f"no ticket for {filename}: {ticket}")
        status = self.upload(ticket, data, filename, content_type)
        if status != 204:
            raise StackError(f"storage answered {status} to {filename}")
        return str(ticket["photoId"])

    def changes(self, album: int, since: int, wait: int) -> dict[str, Any]:
        answer = self.session.get(
            f"{self.url}/albums/{album}/changes/",
            params={"since": since, "wait": wait},
            timeout=wait + 60,
        )
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body


# --- watching the album as the page does -------------------------------------------------------


@dataclass
class PhotoSeen:
    status: str
    final_at: float | None = None  # time.monotonic() when first seen final
    final_status: str | None = None
    changed_after_final: list[str] = field(default_factory=list)


class ChangesWatcher(threading.Thread):
    """Long-polls the album's changes endpoint with a cursor, as the page does, and notes when
    each photo is first seen final. ``wait_final`` blocks until the given photos all are."""

    def __init__(self, browser: Browser, album: int, *, wait: int = LONG_POLL_SECONDS) -> None:
        super().__init__(name="changes-watcher", daemon=True)
        self.browser, self.album, self.wait = browser, album, wait
        self.photos: dict[str, PhotoSeen] = {}
        self.polls = 0
        self.errors: list[str] = []
        self.last_body: dict[str, Any] = {}
        self._stopping = threading.Event()
        self._changed = threading.Condition()

    def run(self) -> None:
        cursor, more = 0, False
        while not self._stopping.is_set():
            try:
                body = self.browser.changes(self.album, cursor, 0 if more else self.wait)
            except (requests.RequestException, ValueError) as error:
                if self._stopping.is_set():
                    return
                self.errors.append(f"{time.strftime('%H:%M:%S')} {error}")
                time.sleep(1)
                continue
            self.polls += 1
            self._note(body, time.monotonic())
            cursor, more = int(body["cursor"]), bool(body.get("more"))

    def _note(self, body: dict[str, Any], now: float) -> None:
        with self._changed:
            self.last_body = body
            for photo in body["photos"]:
                seen = self.photos.setdefault(photo["id"], PhotoSeen(photo["status"]))
                seen.status = photo["status"]
                if seen.final_status is not None and photo["status"] != seen.final_status:
                    seen.changed_after_final.append(photo["status"])
                if photo["final"] and seen.final_at is None:
                    seen.final_at, seen.final_status = now, photo["status"]
            self._changed.notify_all()

    def unfinished(self, ids: list[str]) -> list[str]:
        with self._changed:
            return [i for i in ids if i not in self.photos or self.photos[i].final_at is None]

    def wait_final(self, ids: list[str], timeout: float) -> bool:
        """True once every photo in ``ids`` has been seen final; False after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.unfinished(ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 1.0))
        return True

    def seen_final_at(self, photo_id: str) -> float:
        """time.monotonic() when the photo was first seen final (KeyError if it never was)."""
        seen = self.photos.get(photo_id)
        if seen is None or seen.final_at is None:
            raise KeyError(photo_id)
        return seen.final_at

    def stop(self) -> None:
        self._stopping.set()


# --- the pipeline's worker processes -----------------------------------------------------------


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    state: str
    ppid: int
    group: int
    cpu_ticks: int  # user + system time so far, in clock ticks
    cmdline: str


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc(pid: int) -> ProcInfo | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # from the 3rd field on: after "pid (comm) "
    cpu = int(fields[11]) + int(fields[12])  # utime and stime, the 14th and 15th fields
    return ProcInfo(pid, fields[0], int(fields[1]), int(fields[2]), cpu, cmdline)


def _processes() -> list[ProcInfo]:
    found = (_proc(int(entry)) for entry in os.listdir("/proc") if entry.isdigit())
    return [info for info in found if info is not None]


def memory_kb(pid: int) -> tuple[int, int] | None:
    """(VmHWM, VmRSS) in KiB, or None when the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    try:
        return int(values["VmHWM"].split()[0]), int(values["VmRSS"].split()[0])
    except (KeyError, IndexError, ValueError):
        return None  # a zombie has no memory lines


WORKER, WEB, OTHER = "worker children", "web server", "the rest"


class WorkerProcesses:
    """The stack's processes by role. Worker children are the children of
    `python -m processing.local.worker` that take jobs (not multiprocessing's resource
    tracker); the web server is gunicorn's master and workers."""

    def __init__(self, group: int) -> None:
        self.group = group

    def by_role(self) -> dict[str, list[ProcInfo]]:
        processes = [p for p in _processes() if p.group == self.group and p.state != "Z"]
        parents = {p.pid for p in processes if "-m processing.local.worker" in p.cmdline}
        roles: dict[str, list[ProcInfo]] = {WORKER: [], WEB: [], OTHER: []}
        for process in processes:
            if process.ppid in parents and "spawn_main" in process.cmdline:
                roles[WORKER].append(process)
            elif "gunicorn" in process.cmdline:
                roles[WEB].append(process)
            else:
                roles[OTHER].append(process)
        return roles

    def children(self) -> list[int]:
        return sorted(p.pid for p in self.by_role()[WORKER])


class ProcessSampler(threading.Thread):
    """Every ``interval`` seconds: VmHWM and VmRSS of every worker child, and the CPU time of
    every process of the stack. A child killed and replaced is a new pid; every pid seen is kept
    (a dead process keeps its last sample)."""

    def __init__(self, workers: WorkerProcesses, *, interval: float = 0.5) -> None:
        super().__init__(name="process-sampler", daemon=True)
        self.workers, self.interval = workers, interval
        self.peak_hwm_kb: dict[int, int] = {}
        self.peak_rss_kb: dict[int, int] = {}
        self.cpu_first: dict[int, int] = {}  # ticks at the first sample (0 if born later)
        self.cpu_last: dict[int, int] = {}
        self.role: dict[int, str] = {}
        self.cpu_marked: dict[int, int] = {}
        self._lock = threading.Lock()
        self.started_at = self.stopped_at = self.marked_at = 0.0
        self._stopping = threading.Event()

    def run(self) -> None:
        self.started_at = time.monotonic()
        first = True
        while True:
            self.sample(first)
            first = False
            if self._stopping.wait(self.interval):
                break
        self.sample(False)
        self.stopped_at = time.monotonic()

    def sample(self, first: bool) -> None:
        with self._lock:
            for role, processes in self.workers.by_role().items():
                for process in processes:
                    self.role[process.pid] = role
                    self.cpu_first.setdefault(process.pid, process.cpu_ticks if first else 0)
                    self.cpu_last[process.pid] = process.cpu_ticks
                    if role == WORKER:
                        self._note_memory(process.pid)

    def _note_memory(self, pid: int) -> None:
        memory = memory_kb(pid)
        if memory is not None:
            hwm, rss = memory
            self.peak_hwm_kb[pid] = max(hwm, self.peak_hwm_kb.get(pid, 0))
            self.peak_rss_kb[pid] = max(rss, self.peak_rss_kb.get(pid, 0))

    def peak_mb(self) -> float:
        """The largest VmHWM (peak resident set) seen in any worker child, in MB."""
        return max(self.peak_hwm_kb.values(), default=0) / 1024

    def mark(self) -> None:
        """Notes the CPU time so far, so that ``cpu_seconds(since_mark=True)`` counts from now."""
        self.sample(False)
        with self._lock:
            self.cpu_marked = dict(self.cpu_last)
            self.marked_at = time.monotonic()

    def cpu_seconds(self, *, since_mark: bool = False) -> dict[str, float]:
        """CPU seconds each role used while sampled (or since ``mark()``)."""
        start = self.cpu_marked if since_mark else self.cpu_first
        used = dict.fromkeys((WORKER, WEB, OTHER), 0.0)
        for pid, last in self.cpu_last.items():
            used[self.role[pid]] += (last - start.get(pid, 0)) / CLOCK_TICKS
        return used

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)
