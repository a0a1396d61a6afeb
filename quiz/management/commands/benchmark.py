"""`make bench`: server-side timings, sizes and query counts, printed as a table.

Builds its own data in a throwaway database (created and dropped here), runs
requests through Django's full middleware stack in-process, and never asserts
a time: the figures go in README.
"""

import datetime as dt
import gzip
import random
import re
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, reset_queries, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from quiz.importing import export_deck, import_deck
from quiz.models import Card, CardProgress, Deck, ReviewLog
from quiz.qa_format import parse
from quiz.queue import build_queue
from quiz.rendering import MAX_CHARS, render_markdown
from quiz.services import place_frontier

ANSWER_MARKDOWN = (
    "A paragraph of explanation with **bold** words and `inline code`.\n\n"
    "```python\nimport tensorflow as tf\nx = tf.constant([1, 2, 3])\nprint(tf.reduce_sum(x))\n```\n\n"
    "- first point\n- second point\n\nAnd a formula: \\( y = \\frac{1}{1 + e^{-x}} \\)\n"
)
HX = {"HTTP_HX_REQUEST": "true"}
# Card sides at the size limit that took Python-Markdown (or the old math
# pattern) quadratic time: 17 to 47 s each before the renderer's guard.
PATHOLOGICAL_INPUTS = {
    "[ × 10,000": "[" * MAX_CHARS,
    "![ × 5,000": "![" * (MAX_CHARS // 2),
    "[a]( × 2,500": "[a](" * (MAX_CHARS // 4),
    "\\( × 5,000": "\\(" * (MAX_CHARS // 2),
    "139 backtick runs": "".join("`" * n + " " for n in range(1, 140)),
    "[a][ × 2,500": "[a][" * (MAX_CHARS // 4),
    "<![CDATA[ × 1,111": "<![CDATA[" * (MAX_CHARS // 9),
    "<a < × 2,500": "<a <" * (MAX_CHARS // 4),
    "unclosed fences": "```\n" * (MAX_CHARS // 10),
    "setext underlines": "=\n" * 999,
}
FLOOR_PADDING: dict[str, str] = {"text": ""}


@require_POST
def floor_view(request: HttpRequest) -> HttpResponse:
    """The floor: one indexed SELECT, one UPDATE, one INSERT, one template
    render of the same size as the grade response."""
    progress = CardProgress.objects.filter(user=request.user, card_id=int(request.POST["card"])).first()
    CardProgress.objects.filter(pk=progress.pk).update(version=F("version") + 1)
    ReviewLog.objects.create(
        user=request.user, card_id=progress.card_id, grade=4, kind="review", review_day=progress.due,
        reviewed_at=timezone.now(), easiness_before=progress.easiness, repetitions_before=progress.repetitions,
        interval_before=progress.interval, easiness_after=progress.easiness, repetitions_after=progress.repetitions,
        interval_after=progress.interval, due_after=progress.due,
    )
    template = Template('<section id="review-card" data-card="{{ card }}">{{ padding }}</section>')
    return HttpResponse(template.render(Context({"card": progress.card_id, "padding": FLOOR_PADDING["text"]})))


urlpatterns = [path("bench/floor/", floor_view), path("", include(settings.ROOT_URLCONF))]


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


class Command(BaseCommand):
    help = "Benchmark grade, flip, stats, import and page weight in a throwaway database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="Smaller sizes, for a smoke run.")
        parser.add_argument("--repeat", type=int, default=60, help="Requests timed per measurement.")

    def handle(self, *args, quick: bool, repeat: int, **options) -> None:
        setup_test_environment()
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor == "sqlite":
            test_settings["NAME"] = str(Path(tempfile.gettempdir()) / "flashcards-bench.sqlite3")
        else:
            test_settings["NAME"] = f"bench_{connection.settings_dict['NAME']}"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        self.repeat = repeat
        self.rows: list[tuple[str, ...]] = []
        try:
            with override_settings(
                ROOT_URLCONF=__name__,
                SECURE_SSL_REDIRECT=False,
                ALLOWED_HOSTS=["testserver"],
                DEBUG=False,
                STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
            ):
                self.run_all(quick)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        self.print_table()

    # ------------------------------------------------------------------------------------

    def row(self, *cells) -> None:
        self.rows.append(tuple(str(cell) for cell in cells))
        self.stderr.write("  " + " | ".join(str(c) for c in cells))

    def print_table(self) -> None:
        header = ("measurement", "size", "median", "p95", "queries", "notes")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(len(header))]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("\n" + "  ".join(h.ljust(w) for h, w in zip(header, widths)))
        self.stdout.write(line)
        for r in self.rows:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(r, widths)))
        self.stdout.write(f"\ndatabase: {connection.vendor}; times are server time per request in ms, in-process through the full middleware stack")

    def run_all(self, quick: bool) -> None:
        sizes = [(1, 1_000), (1, 100_000), (100, 1_000)] if not quick else [(1, 200), (1, 2_000), (5, 200)]
        for users, cards in sizes:
            self.bench_review(users=users, cards=cards)
        for cards in ([1_000, 100_000] if not quick else [200, 2_000]):
            self.bench_browser(cards)
        for logs in ([1_000, 10_000, 100_000] if not quick else [200, 2_000]):
            self.bench_stats(logs)
        self.bench_import(10_000 if not quick else 500)
        self.bench_rendering(repeat=5 if not quick else 1)
        self.bench_page_weight()

    # Data --------------------------------------------------------------------------------

    def fresh_deck(self, cards: int) -> Deck:
        Deck.objects.all().delete()
        User.objects.all().delete()
        deck = Deck.objects.create(name=f"Bench {cards}", slug=f"bench-{cards}")
        sample = Card(question="q", answer=ANSWER_MARKDOWN)
        sample.render()
        Card.objects.bulk_create(
            (
                Card(deck=deck, position=n, question=f"Question {n}: what does operation {n} compute?",
                     answer=ANSWER_MARKDOWN, question_html=f"<p>Question {n}: what does operation {n} compute?</p>",
                     answer_html=sample.answer_html)
                for n in range(1, cards + 1)
            ),
            batch_size=5000,
        )
        return deck

    def learner(self, name: str) -> User:
        user = User(username=name)  # the default daily limits: 20 new, 200 reviews
        user.set_password("bench")
        user.save()
        return user

    def give_progress(self, users: list[User], deck: Deck, day: dt.date) -> None:
        """Every user has answered every card; about a tenth are due today."""
        rng = random.Random(7)
        card_ids = list(deck.cards.values_list("id", flat=True))
        noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)

        def answered(user: User, card_id: int) -> CardProgress:
            due = day - dt.timedelta(days=rng.randint(0, 5)) if rng.random() < 0.1 else day + dt.timedelta(days=rng.randint(1, 60))
            last_review = noon - dt.timedelta(days=rng.randint(1, 60), seconds=rng.randint(0, 36_000))
            return CardProgress(
                user=user, card_id=card_id, easiness=Decimal("2.50"), repetitions=3, interval=15, due=due,
                last_reviewed_at=last_review, version=3,
            )

        for user in users:
            CardProgress.objects.bulk_create((answered(user, card_id) for card_id in card_ids), batch_size=5000)
        self.analyze()
        for user in users:
            # As after real answering: the deck's new-card frontier is known.
            with transaction.atomic():
                place_frontier(user=user, deck_id=deck.pk)

    @staticmethod
    def analyze() -> None:
        # Fresh planner statistics, as autovacuum would keep them in
        # production; without them PostgreSQL plans for empty tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # Measurements ----------------------------------------------------------------------------

    def bench_review(self, *, users: int, cards: int) -> None:
        deck = self.fresh_deck(cards)
        learners = [self.learner(f"learner{n}") for n in range(users)]
        user = learners[0]
        day = user.review_day()
        self.give_progress(learners, deck, day)
        client = Client()
        client.force_login(user)
        size = f"{users} user{'s' if users > 1 else ''} × {cards:,} cards"

        def next_item():
            return build_queue(user, day=day).next

        def grade(item) -> HttpResponse:
            return client.post("/review/grade/", {"card": item.card.pk, "version": item.shown_version, "grade": 4}, **HX)

        # Warm up connections, caches and templates; the floor's template is
        # padded to the size of a real grade response.
        item = next_item()
        client.get(f"/review/cards/{item.card.pk}/answer/", **HX)
        response_size = len(grade(item).content)
        FLOOR_PADDING["text"] = "x" * max(0, response_size - 60)
        # Each grade takes a due card off today's queue: time only grades
        # that still have a next card to show (a --quick deck has few).
        repeat = min(self.repeat, build_queue(user, day=day).due_left - 1)
        floor_cards = iter(CardProgress.objects.filter(user=user).values_list("card_id", flat=True)[: repeat + 1])
        client.post("/bench/floor/", {"card": next(floor_cards)})

        # Interleaved, so that the floor and the requests it is compared with
        # run under the same conditions (caches, machine load).
        grade_samples, flip_samples, floor_samples = [], [], []
        grade_queries = flip_queries = floor_queries = 0
        for _ in range(repeat):
            item = next_item()
            reset_queries()  # the bounded query log must not be full, or nothing is captured
            with CaptureQueriesContext(connection) as flip_ctx:
                start = time.perf_counter()
                client.get(f"/review/cards/{item.card.pk}/answer/", **HX)
                flip_samples.append((time.perf_counter() - start) * 1000)
            # Read now: the captured list is a view on a log each request resets.
            flip_queries = len(flip_ctx)
            reset_queries()
            with CaptureQueriesContext(connection) as grade_ctx:
                start = time.perf_counter()
                response = grade(item)
                grade_samples.append((time.perf_counter() - start) * 1000)
            grade_queries = len(grade_ctx)
            response_size = len(response.content)
            reset_queries()
            with CaptureQueriesContext(connection) as floor_ctx:
                start = time.perf_counter()
                client.post("/bench/floor/", {"card": next(floor_cards)})
                floor_samples.append((time.perf_counter() - start) * 1000)
            floor_queries = len(floor_ctx)

        floor = median(floor_samples)
        self.row("floor: SELECT+UPDATE+INSERT+render", size, f"{floor:.2f}", f"{statistics.quantiles(floor_samples, n=20)[-1]:.2f}", floor_queries, f"{response_size} B response")
        self.row("grade + next card", size, f"{median(grade_samples):.2f}", f"{statistics.quantiles(grade_samples, n=20)[-1]:.2f}", grade_queries, f"{median(grade_samples) / floor:.2f}× floor (target ≤ 2)")
        self.row("flip (answer)", size, f"{median(flip_samples):.2f}", f"{statistics.quantiles(flip_samples, n=20)[-1]:.2f}", flip_queries, f"{median(flip_samples) / floor:.2f}× floor (target ≤ 1.5)")

    def bench_browser(self, cards: int) -> None:
        """The card browser and the deck page: their cost should not grow
        with the number of cards (one learner who has answered them all)."""
        deck = self.fresh_deck(cards)
        user = self.learner("browser")
        self.give_progress([user], deck, user.review_day())
        client = Client()
        client.force_login(user)
        size = f"{cards:,} cards"
        pages = [
            ("card browser: deck order", "/cards/", {}, "page 1"),
            ("card browser: deck order, last page", "/cards/", {"page": 200}, "page 200 (the cap)"),
            ("card browser: due today, by due date", "/cards/", {"state": "due", "sort": "due"}, "filter + sort"),
            ("card browser: search, 1 match", "/cards/", {"q": f"operation {cards // 2}"}, "as you type (htmx)"),
            ("card browser: search, every card matches", "/cards/", {"q": "compute"}, "as you type, ranked"),
            ("deck page", deck.get_absolute_url(), {}, "page 1, with counts"),
        ]
        for name, url, params, notes in pages:
            extra = HX if "q" in params else {}
            client.get(url, params, **extra)  # warm up
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, params, **extra)
            queries = len(ctx)  # now: the next request resets the log it reads
            assert response.status_code == 200, (url, params, response.status_code)
            samples = timed(lambda: client.get(url, params, **extra), max(5, self.repeat // 3))
            p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]
            self.row(name, size, f"{median(samples):.1f}", f"{p95:.1f}", queries, f"{notes}; {len(response.content) / 1024:.0f} KB")

    def bench_stats(self, logs: int) -> None:
        deck = self.fresh_deck(1_000)
        user = self.learner("statistician")
        day = user.review_day()
        self.give_progress([user], deck, day)
        rng = random.Random(11)
        card_ids = list(deck.cards.values_list("id", flat=True))
        now = timezone.now()
        ReviewLog.objects.bulk_create(
            (
                ReviewLog(
                    user=user, card_id=rng.choice(card_ids), grade=rng.choice([1, 3, 4, 4, 5]),
                    kind=rng.choice(["new", "review", "review", "drill"]),
                    review_day=day - dt.timedelta(days=rng.randint(0, 364)), reviewed_at=now,
                    answer_ms=rng.randint(1000, 20000), easiness_before=Decimal("2.50"), repetitions_before=2,
                    interval_before=rng.choice([1, 6, 15, 40]), easiness_after=Decimal("2.50"), repetitions_after=3,
                    interval_after=15, due_after=day,
                )
                for _ in range(logs)
            ),
            batch_size=5000,
        )
        self.analyze()
        client = Client()
        client.force_login(user)
        client.get("/stats/")
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            client.get("/stats/")
        stats_queries = len(ctx)
        samples = timed(lambda: client.get("/stats/"), max(5, self.repeat // 6))
        home = timed(lambda: client.get("/"), max(5, self.repeat // 6))
        self.row("stats page", f"{logs:,} logs", f"{median(samples):.1f}", f"{max(samples):.1f}", stats_queries, "")
        self.row("home dashboard", f"{logs:,} logs", f"{median(home):.1f}", f"{max(home):.1f}", "", "")

    def bench_import(self, cards: int) -> None:
        Deck.objects.all().delete()
        lines = ["# Generated benchmark deck", "```"]
        for n in range(1, cards + 1):
            lines.append(f"Q: What is generated fact number {n}?")
            lines.append(f"Fact {n} is explained here with `code` and **bold**.")
            if n % 10 == 0:
                lines += ["", "```python", f"value = {n} * 2", "```"]
            if n % 7 == 0:
                lines += ["", f"\\[ x_{{{n}}} = \\frac{{{n}}}{{2}} \\]"]
            lines.append("")
        lines.append("```")
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as handle:
            handle.write("\n".join(lines))
        out = open("/dev/null", "w")
        start = time.perf_counter()
        call_command("import_qa", handle.name, stdout=out)
        first = time.perf_counter() - start
        start = time.perf_counter()
        call_command("import_qa", handle.name, stdout=out)
        again = time.perf_counter() - start
        Path(handle.name).unlink()
        self.row("import_qa, new file", f"{cards:,} cards", f"{first * 1000:.0f}", "", "", f"{cards / first:,.0f} cards/s")
        self.row("import_qa, unchanged re-import", f"{cards:,} cards", f"{again * 1000:.0f}", "", "", f"{cards / again:,.0f} cards/s")
        deck = Deck.objects.get(name="Generated benchmark deck")
        start = time.perf_counter()
        exported = export_deck(deck)
        took = time.perf_counter() - start
        self.row("export_qa", f"{cards:,} cards", f"{took * 1000:.0f}", "", "", f"{cards / took:,.0f} cards/s")
        start = time.perf_counter()
        summary = import_deck(parse(exported)).summary()
        took = time.perf_counter() - start
        assert summary.endswith(f"0 created, 0 updated, {cards} unchanged"), summary
        self.row("import of the export", f"{cards:,} cards", f"{took * 1000:.0f}", "", "", f"{cards / took:,.0f} cards/s, all unchanged")

    def bench_rendering(self, repeat: int) -> None:
        seed_answer = max(Path(settings.QUIZ_SEED_FILE).read_text().split("\nQ: "), key=len)
        for label, source in {"longest seed answer": seed_answer, **PATHOLOGICAL_INPUTS}.items():
            samples = timed(lambda: render_markdown(source), repeat)
            self.row(f"render: {label}", f"{len(source):,} chars", f"{median(samples):.1f}", f"{max(samples):.1f}", "", "one card side")
        # The worst web import: a file at the upload limit made of cards whose
        # answers are the slowest pathological input.
        from quiz.admin import WEB_IMPORT_MAX_BYTES

        staff = User.objects.create_user("bench-staff", password="x", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(staff)
        card = "Q: q{}?\n" + "[" * (MAX_CHARS - 100) + "\n\n"
        body, number = "# Pathological\n", 0
        while len(body) + len(card) < WEB_IMPORT_MAX_BYTES:
            number += 1
            body += card.format(number)
        start = time.perf_counter()
        response = client.post("/admin/quiz/deck/import/", {"file": SimpleUploadedFile("worst.md", body.encode())})
        elapsed = time.perf_counter() - start
        created = re.search(rb'data-count="created">(\d+)<', response.content)
        self.row("web import, worst file", f"{len(body) // 1024} KB, {number} cards", f"{elapsed * 1000:.0f}", "", "", f"{created.group(1).decode() if created else 'NOT'} created; budget 15 s")

    def bench_page_weight(self) -> None:
        deck = self.fresh_deck(20)
        user = self.learner("reader")
        client = Client()
        client.force_login(user)
        html = client.get(f"/review/{deck.slug}/").content
        references = re.findall(rb'(?:src|href)="([^"]+)"', html)
        assets = [ref.decode() for ref in references if ref.startswith(b"/static/")]
        external = [ref.decode() for ref in references if ref.startswith((b"http:", b"https:", b"//"))]
        total = len(gzip.compress(html))
        for asset in assets:
            found = finders.find(asset.removeprefix(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL))
            total += len(gzip.compress(Path(found).read_bytes()))
        fonts = Path(finders.find("vendor/katex/fonts/KaTeX_Main-Regular.woff2")).parent
        lazy = sum(p.stat().st_size for p in fonts.glob("*.woff2"))
        self.row("review page + static, gzipped", f"{len(assets)} files", f"{total / 1024:.1f} KB", "", "", f"target < 150 KB; {len(external)} other hosts; KaTeX fonts ({lazy / 1024:.0f} KB woff2) load only when math is shown")
