"""Weeks in page addresses: both spellings read, one written, a week without data said so."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest

from lib.core import links

WEEKS = [dt.date(2026, 9, 7), dt.date(2026, 9, 14), dt.date(2026, 9, 21)]


@pytest.mark.parametrize(
    "text", ["2026-09-14", "14 Sep 2026", "14+Sep+2026", " 14  sep 2026 ", "14 September 2026", "2026-09-16"]
)
def test_every_spelling_of_a_week_finds_it(text):
    found, notes = links.resolve_link_weeks([text], WEEKS)
    assert (found, notes) == ([dt.date(2026, 9, 14)], [])


def test_a_week_without_data_and_a_value_that_is_no_date_are_said_so():
    found, notes = links.resolve_link_weeks(["2026-09-28", "Sep 14", "2026-02-30"], WEEKS)
    assert found == []
    assert notes == [
        "The link names the week of 28 Sep 2026, which has no data here.",
        "The link's week “Sep 14” is not a date Floorline reads (write it as 2026-09-14 or 14 Sep 2026).",
        "The link's week “2026-02-30” is not a date Floorline reads (write it as 2026-09-14 or 14 Sep 2026).",
    ]


def test_floorline_writes_iso_weeks():
    assert links.link_value(dt.date(2026, 9, 14)) == "2026-09-14"


# --- links a link column may open, and values read from an address (issue 23) -----------------------------


@pytest.mark.parametrize(
    "url",
    ["https://gitlab.com/groups/gitlab-com/support/-/epics/12", "http://gitlab.com/x", "HTTPS://gitlab.com/x"],
)
def test_an_http_link_on_the_gitlab_host_opens(url):
    assert links.web_link(url, ("gitlab.com",)) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//gitlab.com/x",  # protocol-relative: no scheme of its own
        "gitlab-com/support&12",  # a reference, not an address
        "https://gitlab.com.evil.example/x",
        "https://evil.example/gitlab.com",
        "https://gitlab.com@evil.example/x",
        "https://[gitlab.com/x",
        "https://gitlab.com/x\nSet-Cookie: a",
        "https://gitlab.com/\u202ex",
        "https:///x",
        None,
        5,
    ],
)
def test_anything_else_opens_nothing(url):
    assert links.web_link(url, ("gitlab.com",)) is None


def test_without_hosts_any_http_address_opens_but_no_other_scheme():
    assert links.web_link("https://example.com/pto") == "https://example.com/pto"
    assert links.web_link("ftp://example.com/pto") is None


@pytest.mark.parametrize(
    ("text", "read"),
    [("12", 12), ("0012", 12), ("²", None), ("١٢", None), ("1.0", None), ("-1", None), (" 1", None), ("", None)],
)
def test_an_id_is_ascii_digits_only(text, read):
    assert links.read_id(text) == read


def test_an_id_of_more_digits_than_a_stored_id_has_is_refused_unread():
    assert links.read_id("9" * 18) == 10**18 - 1
    assert links.read_id("9" * 19) is None
    assert links.read_id("9" * 100_000) is None


def test_a_choice_is_read_in_any_case_and_a_long_week_is_not_parsed():
    assert links.read_choice("frt", ("FRT", "NRT")) == "FRT"
    assert links.read_choice("FRT; DROP", ("FRT", "NRT")) is None
    assert links.parse_week_text("2026-09-14" + " " * 200) is None
    note = links.unreadable_note("9" * 100_000)
    assert len(note) < 200 and "…" in note


def test_a_table_cell_link_keeps_its_address_and_no_character_of_it_can_end_the_link_or_add_markup():
    url = 'https://gitlab.com/groups/g/-/epics/5?note=a)b](https://evil.example)<img src=x> "t"\\'
    cell = links.markdown_link("open in GitLab", url)
    assert cell.startswith("[open in GitLab](https://gitlab.com/groups/g/-/epics/5?note=")
    address = cell[len("[open in GitLab](") : -1]
    assert not set(address) & set("()[]<> \"'\\`")
    assert unquote(address) == url
    assert links.markdown_link("open in GitLab", None) == "—"
