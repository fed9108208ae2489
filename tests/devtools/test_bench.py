"""make bench runs to the end on a small scale, every page answering, and writes its figures
(the speed itself is read from its output, never asserted by a test)."""

import json

from django.core.management import call_command

from devtools.management.commands.bench import PAGES, Command


def test_the_bench_measures_every_page_billing_renewals_and_exports(db, tmp_path):
    output = tmp_path / "bench.json"
    call_command(
        Command(),
        sizes="3",
        activities=2,
        renewals="2",
        repeat=1,
        page_size=2,
        export_rows=3,
        output=str(output),
        stdout=open(tmp_path / "out.txt", "w"),  # noqa: SIM115 - closed with the test's files
    )
    results = json.loads(output.read_text())
    assert [row["tickets"] for row in results["billing"]] == [3, 3]
    assert all(row["orders"] == 3 for row in results["billing"])
    assert results["renewals"][0]["orders"] == 2
    assert set(results["pages"]) == set(PAGES)
    for name, figures in results["pages"].items():
        assert (figures["N"]["size"], figures["10N"]["size"]) == (2, 20), name
        assert figures["N"]["ratio_to_trivial"] > 0 and figures["10N"]["queries"] >= 1, name
    assert [(row["format"], row["tickets"]) for row in results["exports"]] == [
        ("csv", 3),
        ("xlsx", 3),
    ]
