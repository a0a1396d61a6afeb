import re
import subprocess
import sys

from django.conf import settings


def test_make_bench_quick_prints_every_measurement_with_its_query_count():
    """`make bench` is how the performance figures in README are made: a
    smoke run must finish and print the whole table (times are not judged)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "--quick", "--repeat", "3"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout
    for size in ("1 user × 200 cards", "1 user × 2,000 cards", "5 users × 200 cards"):
        rows = {line.split()[0].rstrip(":"): line for line in table.splitlines() if size in line}
        assert set(rows) == {"floor", "grade", "flip"}, table
        # A seen card's grade and a flip, as pinned in tests/quiz/test_review.py.
        assert re.search(r"\s10\s+[\d.]+× floor", rows["grade"]), rows["grade"]
        assert re.search(r"\s3\s+[\d.]+× floor", rows["flip"]), rows["flip"]
    # The card browser and deck page, pinned as in tests/quiz/test_card_browser.py:
    # session, user, the page (ranked ids first for a search), tags, menus or counts.
    browser_queries = {
        "card browser: deck order ": 6,
        "card browser: deck order, last page ": 5,  # past the last card: no tags to read
        "card browser: due today, by due date ": 6,
        "card browser: search, 1 match ": 6,
        "card browser: search, every card matches ": 6,
        "deck page ": 6,
    }
    for size in ("  200 cards", "  2,000 cards"):
        for measurement, queries in browser_queries.items():
            row = next((line for line in table.splitlines() if line.startswith(measurement) and size in line), None)
            assert row is not None, (measurement, size, table)
            assert re.search(rf"{size}\s+[\d.]+\s+[\d.]+\s+{queries}\s", row), row
    for measurement in ("stats page", "home dashboard", "import_qa, new file", "import_qa, unchanged re-import", "export_qa", "import of the export", "review page + static, gzipped"):
        assert measurement in table
    assert "0 other hosts" in table
