"""Text made safe: Markdown that links nowhere, tables whose cells are text, a terminal that obeys nothing."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from lib.core.text import WORD_JOINER, escape_markdown, escape_table_cells, terminal_text


@pytest.mark.parametrize(
    ("text", "broken_at"),
    [
        ("see http://evil.example/x", "http:" + WORD_JOINER + "//"),
        ("HTTPS://evil.example/x", "HTTPS:" + WORD_JOINER + "//"),
        ("www.evil.example", "www" + WORD_JOINER + "."),
        ("WWW.evil.example", "WWW" + WORD_JOINER + "."),
        ("boss@evil.example", "@" + WORD_JOINER),
        ("mailto:boss@evil.example", "@" + WORD_JOINER),
    ],
)
def test_escaping_breaks_where_an_autolink_would_start_and_reads_the_same(text, broken_at):
    escaped = escape_markdown(text)
    assert broken_at in escaped.replace("\\", "")
    assert re.sub(r"\\(.)", r"\1", escaped).replace(WORD_JOINER, "") == text  # the same characters on screen


def test_text_without_an_autolink_only_gets_its_markdown_escaped():
    assert escape_markdown("[x](y) **b**") == "\\[x\\]\\(y\\) \\*\\*b\\*\\*"
    assert WORD_JOINER not in escape_markdown("Ana Lopez, L&R: 91.5 %")


def test_every_text_cell_of_a_table_is_escaped_and_numbers_stay_numbers():
    frame = pd.DataFrame({"Name": ["[x](http://e.example)", None], "Items": [2, 3]})
    cells = escape_table_cells(frame)
    assert cells["Name"][0] == escape_markdown("[x](http://e.example)")
    assert pd.isna(cells["Name"][1]) and list(cells["Items"]) == [2, 3]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "\x1b]8;;http://e.example\x1b\\link\x1b]8;;\x1b\\",
            "\\u001b]8;;http://e.example\\u001b\\link\\u001b]8;;\\u001b\\",
        ),
        ("clear\x1b[2J", "clear\\u001b[2J"),
        ("bell\x07", "bell\\u0007"),
        ("csi\x9b31m", "csi\\u009b31m"),
        ("del\x7f", "del\\u007f"),
        ("cr\roverwrite", "cr\\u000doverwrite"),
        ("tab\there", "tab\\u0009here"),
        ("rlo\u202eevil", "rlo\\u202eevil"),
        ("Zoë Müller, 日本", "Zoë Müller, 日本"),
        ("two\nlines", "two\nlines"),
    ],
)
def test_a_terminal_sees_every_control_character_written_out(text, shown):
    assert terminal_text(text) == shown
