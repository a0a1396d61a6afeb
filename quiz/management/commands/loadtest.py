"""`make loadtest`: real gunicorn workers, real HTTP, simulated reviewers.

Starts gunicorn on 127.0.0.1 against a throwaway database (PostgreSQL when
DATABASE_URL is set, SQLite otherwise), signs in N users and has them flip
and grade through the real endpoints with a bounded number of concurrent
asyncio/httpx clients. Phases: a steady run; a run during which one worker is
killed with SIGKILL; on PostgreSQL, a run during which the database restarts.
It then checks the database against what the clients saw, prints a table per
phase, and stops by itself. Traffic goes to loopback only.
"""

import asyncio
import logging
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Count

from accounts.models import User
from quiz.models import Card, CardProgress, Deck, ReviewLog

CARD_RE = re.compile(r'data-card="(\d+)" data-side="question"')
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Phase:
    name: str
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    transport_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    accepted: int = 0
    retried_grades: int = 0
    recovered_grades: int = 0  # retried after a lost response, found already recorded
    started: float = 0.0
    finished: float = 0.0
    events: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = "Load and fault test through gunicorn: throughput, latency, and no lost or doubled reviews."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reviewers", type=int, default=50, help="Concurrent simulated reviewers.")
        parser.add_argument("--seconds", type=float, default=20.0, help="Length of the steady phase.")
        parser.add_argument("--fault-seconds", type=float, default=12.0, help="Length of each fault phase.")
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--cards", type=int, default=400)
        parser.add_argument("--skip-faults", action="store_true")

    # Set-up ----------------------------------------------------------------------------------

    def handle(self, *args, reviewers, seconds, fault_seconds, workers, port, cards, skip_faults, **options):
        logging.getLogger("httpx").setLevel(logging.WARNING)
        # Interrupted or killed, still stop gunicorn and drop the database.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.workers = workers
        self.env = self.throwaway_database()
        try:
            self.manage("migrate", "--noinput")
            self.manage("createcachetable")
            self.manage("collectstatic", "--noinput")
            self.build_deck(cards)
            users = self.make_users(reviewers)
            plan = [("steady", seconds, None)]
            if not skip_faults:
                plan.append(("worker SIGKILL", fault_seconds, self.kill_worker))
                if self.postgres:
                    plan.append(("PostgreSQL restart", fault_seconds, self.restart_postgres))
            self.start_gunicorn()
            try:
                phases = asyncio.run(self.run(users, plan))
            finally:
                self.stop_gunicorn()
            for phase in phases:
                self.report(phase)
            self.verify(users, sum(phase.accepted for phase in phases))
        finally:
            if self.postgres:
                self.ensure_postgres_running()
            self.drop_throwaway_database()

    def throwaway_database(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_SECURE_COOKIES="0",
            DJANGO_LOG_LEVEL="WARNING",
        )
        connection.close()
        self.postgres = connection.vendor == "postgresql"
        if self.postgres:
            import psycopg

            url = urlsplit(os.environ["DATABASE_URL"])
            self.db_name = "flashcards_loadtest"
            self.admin_url = urlunsplit(url._replace(path="/postgres"))
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{self.db_name}"')
            env["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{self.db_name}"))
            connection.settings_dict["NAME"] = self.db_name
        else:
            self.db_path = Path(tempfile.gettempdir()) / "flashcards-loadtest.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
            env["DJANGO_SQLITE_PATH"] = str(self.db_path)
            connection.settings_dict["NAME"] = self.db_path
        return env

    def drop_throwaway_database(self) -> None:
        connection.close()
        if self.postgres:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=self.env, check=True, capture_output=True)

    def build_deck(self, cards: int) -> None:
        deck = Deck.objects.create(name="Load test", slug="load-test")
        sample = Card(question="q", answer="Answer with `code`, **bold** and \\( x^2 \\).\n\n```python\nprint(1)\n```")
        sample.render()
        Card.objects.bulk_create(
            Card(deck=deck, position=n, question=f"Load question {n}?", answer=sample.answer,
                 question_html=f"<p>Load question {n}?</p>", answer_html=sample.answer_html)
            for n in range(1, cards + 1)
        )

    def make_users(self, count: int) -> list[str]:
        password = make_password("load-test-password")
        User.objects.bulk_create(
            User(username=f"reviewer{n}", password=password, new_cards_per_day=10_000, max_reviews_per_day=10_000)
            for n in range(count)
        )
        connection.close()
        return [f"reviewer{n}" for n in range(count)]

    def start_gunicorn(self) -> None:
        self.log_file = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "30", "--graceful-timeout", "5"],
            cwd=settings.BASE_DIR, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise CommandError("gunicorn did not come up; see " + self.log_file.name)

    def stop_gunicorn(self) -> None:
        self.gunicorn.send_signal(signal.SIGTERM)
        try:
            self.gunicorn.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.gunicorn.kill()

    # Faults ----------------------------------------------------------------------------------

    def worker_pids(self) -> list[int]:
        result = subprocess.run(["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True, text=True)
        return [int(pid) for pid in result.stdout.split()]

    async def kill_worker(self, phase: Phase, seconds: float) -> None:
        # Three kills, so that some land while grades are in flight.
        for _ in range(3):
            await asyncio.sleep(seconds / 4)
            victim = random.choice(self.worker_pids())
            os.kill(victim, signal.SIGKILL)
            phase.events.append(f"{time.monotonic() - phase.started:5.1f}s SIGKILL worker {victim}")
            for _ in range(50):
                await asyncio.sleep(0.1)
                if len(self.worker_pids()) == self.workers and victim not in self.worker_pids():
                    phase.events.append(f"{time.monotonic() - phase.started:5.1f}s gunicorn replaced it")
                    break

    def ensure_postgres_running(self) -> None:
        """An interrupted restart phase must not leave the server stopped."""
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode != 0:
            version = sorted(os.listdir("/etc/postgresql"))[-1]
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)
            for _ in range(30):
                if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0:
                    return
                time.sleep(0.5)

    async def restart_postgres(self, phase: Phase, seconds: float) -> None:
        await asyncio.sleep(seconds / 4)
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        health: list[int | str] = []
        async with httpx.AsyncClient(base_url=self.base, timeout=5) as client:
            await asyncio.to_thread(subprocess.run, ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop", "-m", "fast"], check=True)
            phase.events.append(f"{time.monotonic() - phase.started:5.1f}s PostgreSQL stopped")
            for _ in range(3):
                await asyncio.sleep(0.5)
                health.append((await client.get("/healthz")).status_code)
            phase.events.append(f"{time.monotonic() - phase.started:5.1f}s /healthz while down: {health}")
            await asyncio.to_thread(subprocess.run, ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True)
            phase.events.append(f"{time.monotonic() - phase.started:5.1f}s PostgreSQL started")
            for attempt in range(60):
                status = (await client.get("/healthz")).status_code
                if status == 200:
                    phase.events.append(f"{time.monotonic() - phase.started:5.1f}s /healthz 200 again (after {attempt + 1} probes)")
                    break
                await asyncio.sleep(0.25)

    # Reviewers -------------------------------------------------------------------------------

    async def run(self, users: list[str], plan) -> list[Phase]:
        """Sign every reviewer in (password hashing is slow by design, so it
        is its own phase), then run the review phases with the same clients."""
        clients = [httpx.AsyncClient(base_url=self.base, timeout=30, follow_redirects=False) for _ in users]
        try:
            sign_in = Phase("sign-in")
            sign_in.started = time.monotonic()
            self.stderr.write(f"loadtest: signing in {len(users)} reviewers")
            cards = await asyncio.gather(*(self.sign_in(sign_in, client, user) for client, user in zip(clients, users)))
            sign_in.finished = time.monotonic()
            phases = [sign_in]
            for name, seconds, fault in plan:
                phase = Phase(name)
                self.stderr.write(f"loadtest: {name}: {len(users)} reviewers for {seconds:.0f}s")
                phase.started = time.monotonic()
                deadline = phase.started + seconds
                tasks = [self.review(phase, client, card, deadline) for client, card in zip(clients, cards)]
                if fault:
                    tasks.append(fault(phase, seconds))
                results = await asyncio.gather(*tasks)
                cards = results[: len(clients)]
                phase.finished = time.monotonic()
                phases.append(phase)
            return phases
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))

    async def request(self, phase: Phase, client: httpx.AsyncClient, endpoint: str, method: str, url: str, **kwargs) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError:
            phase.transport_errors[endpoint] += 1
            return None
        phase.latencies[endpoint].append((time.perf_counter() - start) * 1000)
        phase.statuses[endpoint][response.status_code] += 1
        return response

    async def sign_in(self, phase: Phase, client: httpx.AsyncClient, username: str) -> int | None:
        """Log in through the real form; returns the first card to review."""
        for _ in range(20):
            page = await self.request(phase, client, "login page", "GET", "/accounts/login/")
            if page is None or page.status_code != 200:
                await asyncio.sleep(0.5)
                continue
            token = TOKEN_RE.search(page.text).group(1)
            login = await self.request(phase, client, "login", "POST", "/accounts/login/",
                                       data={"username": username, "password": "load-test-password", "csrfmiddlewaretoken": token})
            if login is None or login.status_code != 302:
                await asyncio.sleep(0.5)
                continue
            review = await self.request(phase, client, "review page", "GET", "/review/")
            if review is not None and review.status_code == 200:
                match = CARD_RE.search(review.text)
                return int(match.group(1)) if match else None
        return None

    async def review(self, phase: Phase, client: httpx.AsyncClient, card_id: int | None, deadline: float) -> int | None:
        """Flip and grade until the deadline; returns the card to go on with."""
        headers = {"HX-Request": "true"}
        while card_id is not None and time.monotonic() < deadline:
            flip = await self.request(phase, client, "flip", "GET", f"/review/cards/{card_id}/answer/", headers=headers)
            if flip is None or flip.status_code != 200:
                await asyncio.sleep(0.3)
                continue
            version = int(VERSION_RE.search(flip.text).group(1))
            data = {"card": card_id, "version": version, "grade": random.choice([4, 5])}
            unanswered = False
            for attempt in range(40):
                # A retry of an unanswered grade sends the very same POST.
                grade_headers = {**headers, "X-CSRFToken": client.cookies.get("csrftoken", "")}
                response = await self.request(phase, client, "grade", "POST", "/review/grade/", data=data, headers=grade_headers)
                if response is not None and response.status_code == 200:
                    break
                unanswered = unanswered or response is None
                phase.retried_grades += 1
                await asyncio.sleep(min(2.0, 0.25 * (attempt + 1)))
            else:
                return card_id
            recorded = response.headers.get("X-Review-Recorded")
            # "already" after a lost response: the first attempt was recorded.
            phase.accepted += recorded == "1" or (recorded == "already" and unanswered)
            phase.recovered_grades += recorded == "already" and unanswered
            match = CARD_RE.search(response.text)
            card_id = int(match.group(1)) if match else None
        return card_id

    # Results ---------------------------------------------------------------------------------

    def report(self, phase: Phase) -> None:
        elapsed = phase.finished - phase.started
        self.stdout.write(
            f"\n== {phase.name}: {elapsed:.1f}s, grades accepted {phase.accepted}, grade retries {phase.retried_grades}"
            f" ({phase.recovered_grades} found already recorded)"
        )
        for event in phase.events:
            self.stdout.write(f"   {event}")
        header = f"{'endpoint':<12} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  {'5xx':>4} {'other':>5} {'conn err':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for endpoint in ("login page", "login", "review page", "flip", "grade"):
            if endpoint not in phase.latencies and endpoint not in phase.transport_errors:
                continue
            samples = phase.latencies.get(endpoint, [])
            statuses = phase.statuses.get(endpoint, {})
            server_errors = sum(n for status, n in statuses.items() if status >= 500)
            other = sum(n for status, n in statuses.items() if 400 <= status < 500)
            if samples:
                cuts = statistics.quantiles(samples, n=100) if len(samples) > 1 else samples * 99
                p50, p95, p99 = statistics.median(samples), cuts[94], cuts[98]
            else:
                p50 = p95 = p99 = 0.0
            self.stdout.write(
                f"{endpoint:<12} {len(samples):>8} {len(samples) / elapsed:>7.1f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}  {server_errors:>4} {other:>5} {phase.transport_errors.get(endpoint, 0):>8}"
            )
        codes: dict[int, int] = defaultdict(int)
        for statuses in phase.statuses.values():
            for status, n in statuses.items():
                if status >= 500:
                    codes[status] += n
        if codes:
            self.stdout.write(f"   5xx by status: {dict(codes)}")

    def verify(self, usernames: list[str], accepted: int) -> None:
        connection.close()
        logs = ReviewLog.objects.filter(user__username__in=usernames)
        total = logs.count()
        duplicates = (
            logs.values("user_id", "card_id", "review_day").annotate(n=Count("id")).filter(n__gt=1).count()
        )
        mismatched = 0
        last_logs = {}
        for log in logs.order_by("reviewed_at", "id").values("user_id", "card_id", "easiness_after", "repetitions_after", "interval_after", "due_after"):
            last_logs[(log["user_id"], log["card_id"])] = log
        progress_rows = CardProgress.objects.filter(user__username__in=usernames).values("user_id", "card_id", "easiness", "repetitions", "interval", "due")
        for progress in progress_rows:
            log = last_logs.get((progress["user_id"], progress["card_id"]))
            if log is None or (log["easiness_after"], log["repetitions_after"], log["interval_after"], log["due_after"]) != (
                progress["easiness"], progress["repetitions"], progress["interval"], progress["due"]):
                mismatched += 1
        locked = "database is locked" in Path(self.log_file.name).read_text()
        self.stdout.write("\n== database check")
        self.stdout.write(f"   review logs {total}, grades the clients saw accepted {accepted}: {'OK' if total == accepted else 'MISMATCH'}")
        self.stdout.write(f"   duplicate logs (same user, card and day): {duplicates}")
        self.stdout.write(f"   progress rows not matching their last log: {mismatched} of {len(progress_rows)}")
        self.stdout.write(f"   'database is locked' in the server log: {'yes' if locked else 'no'}")
        self.stdout.write(f"   database: {'PostgreSQL' if self.postgres else 'SQLite'}; gunicorn workers: {self.workers}")
        if total != accepted or duplicates or mismatched or locked:
            raise CommandError("load test found lost, doubled or inconsistent reviews")
