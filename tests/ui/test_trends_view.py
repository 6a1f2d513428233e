"""The KPI trends page's view line: what the closed menu of controls holds, said beside it."""

from lib.ui.trends_view import TrendView, view_sentence


def test_the_view_line_names_weeks_segments_region_and_source():
    view = TrendView("2026-03-02", "2026-09-07", ("L&R", "Other"), "EMEA", "secondary")

    assert view_sentence(view, has_regions=True) == (
        r"**02 Mar 2026 to 07 Sep 2026** · Combined, L\&R, Other · EMEA · Sisense only"
    )


def test_without_regions_in_the_data_the_view_line_does_not_mention_one():
    view = TrendView("2026-03-02", "2026-09-07", (), None, "display")

    assert view_sentence(view, has_regions=False) == r"**02 Mar 2026 to 07 Sep 2026** · Combined only · Explore first"


def test_a_region_from_a_file_is_written_as_text_never_as_a_link_or_markup():
    view = TrendView("2026-03-02", "2026-09-07", (), "[Europe](https://evil.example) **now**", "display")

    line = view_sentence(view, has_regions=True)

    assert "](" not in line and "https://" not in line
    assert r"\[Europe\]\(https\:" in line and r"\*\*now\*\*" in line
