"""The one page cache (lib/ui/cache.py): a figure is recomputed when the data version moves, never before,
and two cached functions never answer for each other."""

from __future__ import annotations

from types import SimpleNamespace

from lib.ui.cache import by_data_version

calls: list[str] = []


@by_data_version
def weeks_of(con, kpi: str) -> str:
    calls.append(f"weeks {kpi}")
    return f"weeks of {kpi} from {con}"


@by_data_version
def owners_of(con, kpi: str) -> str:
    calls.append(f"owners {kpi}")
    return f"owners of {kpi} from {con}"


def context(version: int, database: str = "a.duckdb") -> SimpleNamespace:
    return SimpleNamespace(con=f"cursor {version}", database=database, data_version=version)


def test_a_figure_is_computed_once_per_data_version_and_again_after_a_change():
    weeks_of.clear()
    calls.clear()
    assert weeks_of(context(1), "FRT") == "weeks of FRT from cursor 1"
    assert weeks_of(context(1), "FRT") == "weeks of FRT from cursor 1"
    assert calls == ["weeks FRT"]
    assert weeks_of(context(2), "FRT") == "weeks of FRT from cursor 2"
    assert weeks_of(context(2, "b.duckdb"), "FRT") == "weeks of FRT from cursor 2"
    assert calls == ["weeks FRT", "weeks FRT", "weeks FRT"]


def test_two_cached_functions_with_the_same_arguments_keep_their_own_answers():
    weeks_of.clear()
    owners_of.clear()
    assert weeks_of(context(1), "NRT") == "weeks of NRT from cursor 1"
    assert owners_of(context(1), "NRT") == "owners of NRT from cursor 1"
