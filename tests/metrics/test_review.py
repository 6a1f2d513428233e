"""The weekly review's rules: agenda order, statuses, the workgroup call to action, banners, meeting notes."""

from __future__ import annotations

import datetime as dt

import pytest

from lib.core.kpis import kpi_keys
from lib.core.settings import DEFAULTS
from lib.metrics import review
from lib.metrics.kpis import SegmentCell, WeekValue, summarise

FIRST = dt.date(2026, 10, 5)
WEEKS = [FIRST + dt.timedelta(days=7 * n) for n in range(6)]
LATEST = WEEKS[4]  # WEEKS[5] is the partial week


def week_value(when: dt.date, good: int, total: int, floor: float, status: str = "", upload: int = 1) -> WeekValue:
    """A pooled week whose segments add up to the combined counts, plus an Other segment outside them."""
    third = total // 3
    segments = {
        "L&R": SegmentCell("L&R", good // 3, third, None, 0),
        "GitLab SM": SegmentCell("GitLab SM", good // 3, third, None, 0),
        "GitLab SaaS": SegmentCell("GitLab SaaS", good - 2 * (good // 3), total - 2 * third, None, 0),
        "Other": SegmentCell("Other", 40, 50, None, 0),
    }
    breach = 100 * good <= floor * total
    return WeekValue(
        when,
        100 * good / total,
        good,
        total,
        status or ("breach" if breach else "ok"),
        "primary",
        (upload,),
        segments=segments,
    )


def summary_of(kpi: str, percents: list[float], partial: float | None = 95.0):
    """Weekly values for WEEKS[:len(percents)] (per mille precision) and, optionally, a trailing partial week."""
    floor = DEFAULTS.floors[kpi]
    series = [week_value(WEEKS[n], round(p * 10), 1000, floor) for n, p in enumerate(percents)]
    if partial is not None:
        series.append(week_value(WEEKS[len(percents)], round(partial * 10), 1000, floor, "partial", upload=2))
    return summarise(series, kpi, DEFAULTS)


@pytest.fixture
def summaries():
    return {
        "FRT": summary_of("FRT", [96, 95, 94, 93.5, 93.4]),  # within a point of 93, never at or below
        "NRT": summary_of("NRT", [88, 87, 86, 82, 82.5]),  # two weeks at or below 83: sustained
        "SSAT": summary_of("SSAT", [96, 95, 96, 95, 93]),  # exactly at 93 for one week
    }


def test_agenda_puts_sustained_breaches_first_then_single_weeks_then_near_the_floor(summaries):
    the_review = review.weekly_review(summaries, DEFAULTS)

    assert the_review.week == LATEST
    assert [(card.kpi, card.status.key) for card in the_review.cards] == [
        ("NRT", "sustained"),
        ("SSAT", "breach"),
        ("FRT", "near"),
    ]


def test_a_kpi_comfortably_above_its_floor_comes_last_and_reads_ok(summaries):
    summaries["FRT"] = summary_of("FRT", [96, 95, 96, 95, 96])

    the_review = review.weekly_review(summaries, DEFAULTS)

    assert [card.kpi for card in the_review.cards] == ["NRT", "SSAT", "FRT"]
    assert the_review.cards[-1].status.label == "OK"


def test_each_status_has_its_own_words_and_icon_not_only_a_colour():
    labels = {status.label for status in review.STATUSES.values()}
    icons = {status.icon for status in review.STATUSES.values()}

    assert len(labels) == len(icons) == len(review.STATUSES)


def test_card_gives_value_change_floor_streak_and_segments_with_sample_sizes(summaries):
    card = next(c for c in review.weekly_review(summaries, DEFAULTS).cards if c.kpi == "NRT")

    assert card.value == pytest.approx(82.5)
    assert card.change_points == pytest.approx(0.5)
    assert card.floor == 83
    assert card.streak == 2
    assert card.breach_start == WEEKS[3]
    assert [line.segment for line in card.segments] == ["L&R", "GitLab SM", "GitLab SaaS", "Other"]
    assert [line.in_combined for line in card.segments] == [True, True, True, False]
    other = card.segments[-1]
    assert (other.good, other.total, other.value) == (40, 50, 80.0)


def test_a_sustained_breach_calls_for_a_workgroup_prefilled_with_its_weeks(summaries):
    card, *others = review.weekly_review(summaries, DEFAULTS).cards

    assert "form a metrics workgroup" in card.call_to_action.lower()
    assert card.workgroup_query == {"kpi": "NRT", "start": WEEKS[3].isoformat(), "end": LATEST.isoformat()}
    assert all(c.call_to_action is None and c.workgroup_query is None for c in others)


def test_an_open_workgroup_is_carried_on_its_kpis_card(summaries):
    the_review = review.weekly_review(summaries, DEFAULTS, open_workgroups={"NRT": {"title": "NRT Q4 dip"}})

    assert the_review.cards[0].open_workgroup == {"title": "NRT Q4 dip"}
    assert the_review.cards[1].open_workgroup is None


def test_partial_latest_week_gets_a_banner_saying_how_far_the_data_goes(summaries):
    the_review = review.weekly_review(summaries, DEFAULTS, upload_last_dates={2: WEEKS[5] + dt.timedelta(days=3)})

    assert the_review.banners == [
        "The week of 09 Nov 2026 is partial: data through Thu 12 Nov 2026 (FRT, NRT, SSAT). "
        "Its figures are left out of this review until the week is complete."
    ]


def test_a_kpi_without_a_figure_for_the_review_week_is_flagged_missing(summaries):
    summaries["SSAT"] = summary_of("SSAT", [96, 95, 96], partial=None)

    the_review = review.weekly_review(summaries, DEFAULTS)

    ssat = next(card for card in the_review.cards if card.kpi == "SSAT")
    assert ssat.status.key == "missing"
    assert ssat.streak == 0 and ssat.change_points is None
    # Not "not at or below the floor this week" beside "No figure this week": there is nothing to hold up.
    assert review.streak_text(ssat) == "no figure this week to hold against the floor"
    assert "No SSAT figure for the week of 02 Nov 2026: latest figure is for the week of 19 Oct 2026." in (
        the_review.banners
    )


def test_a_banner_says_when_the_last_complete_calendar_week_has_no_figures(summaries):
    today = LATEST + dt.timedelta(days=16)  # a Wednesday two weeks after the review week

    the_review = review.weekly_review(summaries, DEFAULTS, today=today)

    assert the_review.banners[0].startswith("No figures yet for the week of 09 Nov 2026")


def test_an_earlier_week_is_reviewed_as_it_stood_then(summaries):
    the_review = review.weekly_review(summaries, DEFAULTS, week=WEEKS[3])

    nrt = next(card for card in the_review.cards if card.kpi == "NRT")
    assert the_review.week == WEEKS[3]
    assert (nrt.status.key, nrt.streak, nrt.value) == ("breach", 1, pytest.approx(82))
    assert the_review.banners == []  # the partial week is news for the latest review only


def test_no_data_gives_an_empty_review():
    empty = {kpi: summarise([], kpi, DEFAULTS) for kpi in kpi_keys()}

    the_review = review.weekly_review(empty, DEFAULTS)

    assert the_review.week is None
    assert the_review.weeks == []
    assert "No weekly figures yet" in review.meeting_notes_markdown(the_review)


@pytest.mark.parametrize(
    ("value", "floor", "shown"),
    [
        (91.0948, 93, "91.1\u00a0%"),
        (92.96, 93, "92.96\u00a0%"),  # one decimal would read 93.0 and hide that this is below the floor
        (93.0, 93, "93.0\u00a0%"),
        (None, 93, "—"),
    ],
)
def test_percentages_never_round_onto_the_floor(value, floor, shown):
    assert review.format_percent(value, floor) == shown


def test_meeting_notes_list_values_changes_flags_and_open_workgroups(summaries):
    the_review = review.weekly_review(
        summaries, DEFAULTS, open_workgroups={"NRT": {"title": '=HYPERLINK("http://evil","x")'}}
    )
    freshness = {"last_date": dt.date(2026, 11, 12), "uploaded_at": dt.datetime(2026, 11, 12, 9, 30)}

    notes = review.meeting_notes_markdown(the_review, freshness=freshness, is_demo=True)

    assert notes.startswith("# Support KPI review — week of 02 Nov 2026")
    assert "**Demo data" in notes
    assert "| NRT | 82.5\u00a0% | +0.5 pts | 83 % | Sustained breach | 2 |" in notes
    assert "| SSAT | 93.0\u00a0% | -2.0 pts | 93 % | At or below the floor | 1 |" in notes
    # The workgroup title is user text: it cannot run as a formula; nothing in it would start markup, so
    # nothing is escaped (the notes are pasted into plain documents too).
    title = '\'=HYPERLINK("http://evil","x")'
    assert f"- Workgroup already open: {title}" in notes
    assert f"- **NRT: {title}**" in notes.split("## Open workgroups")[1]
    assert "**Action:**" not in notes  # the workgroup the handbook asks for exists already
    assert "Data through Thu 12 Nov 2026" in notes
    assert notes.index("## NRT") < notes.index("## SSAT") < notes.index("## FRT")


def test_meeting_notes_read_plainly_and_give_each_open_workgroup_its_people_issue_and_hypotheses(summaries):
    workgroup = {
        "title": "NRT *dip* in L&R",
        "facilitator": "Ana Lima",
        "issue_url": "https://gitlab.example.com/support/issues/42",
        "hypotheses": [("Time off in EMEA", "Supported on 20 Nov 2026"), ("A new form", "Open (no verdict yet)")],
    }
    the_review = review.weekly_review(summaries, DEFAULTS, open_workgroups={"NRT": workgroup})

    notes = review.meeting_notes_markdown(the_review)

    assert "\\&" not in notes and "L&R" in notes, "no escapes where nothing needs one"
    assert "(not in combined)" in notes and "\\*" not in notes.replace("NRT \\*dip\\*", "")
    entry = notes.split("## Open workgroups")[1]
    assert "- **NRT: NRT \\*dip\\* in L&R**" in entry  # the title's own asterisks would be markup
    assert "  - Facilitator: Ana Lima" in entry
    assert "  - Issue: https://gitlab.example.com/support/issues/42" in entry
    assert "  - Hypothesis: Time off in EMEA — Supported on 20 Nov 2026" in entry
    assert "  - Hypothesis: A new form — Open (no verdict yet)" in entry


def test_meeting_notes_carry_the_call_to_action_while_no_workgroup_is_open(summaries):
    notes = review.meeting_notes_markdown(review.weekly_review(summaries, DEFAULTS))

    assert "- **Action:** Form a metrics workgroup: NRT has been at or below its 83 % floor for 2 weeks" in notes
    assert notes.split("## Open workgroups")[1].strip() == "- None"


def test_freshness_for_the_notes_counts_only_active_uploads():
    uploads = [
        {"active": True, "last_date": dt.date(2026, 11, 26), "uploaded_at": dt.datetime(2026, 11, 26, 8)},
        {"active": True, "last_date": dt.date(2026, 11, 22), "uploaded_at": dt.datetime(2026, 11, 26, 9)},
        {"active": False, "last_date": dt.date(2026, 12, 3), "uploaded_at": dt.datetime(2026, 12, 3, 9)},
    ]

    assert review.data_freshness(uploads) == {
        "last_date": dt.date(2026, 11, 26),
        "uploaded_at": dt.datetime(2026, 11, 26, 9),
    }
    assert review.data_freshness(uploads[2:]) is None


def test_trend_table_has_a_row_per_week_and_line(summaries):
    summary = summaries["FRT"]

    rows = review.weekly_table("FRT", summary.series, {"L&R": summary.series[:2]})

    assert len(rows) == len(summary.series) + 2
    assert rows[0] == {
        "KPI": "FRT",
        "Week": WEEKS[0],
        "Line": "Combined",
        "Value %": 96.0,
        "Good": 960,
        "Counted": 1000,
        "Status": "ok",
        "Source": "Explore / dbt",
        "Uploads": "1",
        "Note": "",
    }
    assert rows[-1]["Line"] == "L&R"
