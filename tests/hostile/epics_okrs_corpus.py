"""Malformed and hostile epics JSON and OKR files, built from code (nothing here is committed as data).

Like ``make_corpus.py`` for exports, two kinds of case:

- **refused**: the import is refused with a message that starts with the file's name, contains
  ``reason`` and names ``column`` (epics: the item and field, e.g. ``item 2 parent_iid``; OKRs:
  the column) and ``row`` (OKRs: as a spreadsheet shows it, the header is row 1) where one value
  is at fault. Nothing stored may change.
- **accepted**: awkward but valid data, read exactly: ``expect`` says what must be stored.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import openpyxl
from epic_builders import GROUP, graphql_epic, rest_epic

OKR_CSV_HEADERS = {
    "managers": "name,region,segment,manager_since",
    "objectives": "objective_id,quarter,level,objective,owner,aligned_to",
    "check_ins": "key_result_id,date,score,note",
}


@dataclass
class Case:
    id: str
    content: Callable[[], bytes]
    reason: str = ""
    column: str | None = None
    row: int | None = None
    file_name: str = "epics.json"
    expect: dict = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.id.startswith("refused-")


def page(*items: dict) -> str:
    return json.dumps(list(items))


def text(content: str) -> Callable[[], bytes]:
    return lambda: content.encode("utf-8")


def graphql(nodes: list[dict], *, has_next_page: bool = False, errors: list | None = None) -> dict:
    workItems = {"pageInfo": {"hasNextPage": has_next_page, "endCursor": "abc"}, "nodes": nodes}
    response: dict = {"data": {"group": {"workItems": workItems}}}
    if errors is not None:
        response["errors"] = errors
    return response


def epic(number: int, title: str, /, **fields) -> dict:
    """A REST epic with any field replaced, its iid included."""
    return {**rest_epic(number, title), **fields}


def one(**fields) -> Callable[[], bytes]:
    """A page of two REST epics, the second changed by ``fields`` (so the fault is in item 2)."""
    return text(page(rest_epic(1, "area: Hiring (Priya Nair)"), epic(2, "Interview loop", **fields)))


def million_tiny_items() -> bytes:
    return ("[" + ",".join(f'{{"iid":{n},"title":"x"}}' for n in range(1, 1_000_001)) + "]").encode()


def too_many_full_items() -> bytes:
    return page(*(rest_epic(n, f"Epic {n}") for n in range(1, 25_002))).encode()


def parent_ring(size: int = 20_000) -> bytes:
    """Epics each the parent of the next, the last the parent of the first: a cycle through the whole file."""
    ring = [rest_epic(n, "area: Ring (Priya Nair)" if n == 1 else f"Epic {n}") for n in range(1, size + 1)]
    for n, item in enumerate(ring, start=1):
        parent = n % size + 1
        item.update(parent_id=5000 + parent, parent_iid=parent)
    return page(*ring).encode()


def epic_cases() -> list[Case]:
    deep = 100_000
    nested_label = {"labels": json.loads("[" * 500 + "]" * 500)}
    twin = rest_epic(2, "Interview loop (Alex Rivera)")
    twin_other_dri = rest_epic(2, "Interview loop (Priya Nair)")
    refused = [
        Case("refused-100000-deep-nesting", text("[" * deep + "]" * deep), "nested too deep"),
        Case("refused-deep-nesting-inside-an-item", one(**nested_label), "a list is not text", "item 2 labels"),
        Case("refused-labels-a-number", one(labels=5), "5 is not a list of labels", "item 2 labels"),
        Case("refused-labels-one-text", one(labels="Support Team"), "is not a list of labels", "item 2 labels"),
        Case("refused-label-a-number", one(labels=["ok", 7]), "7 is not text", "item 2 labels"),
        Case("refused-iid-10-to-the-20", one(iid=10**20), "outside the numbers an epic can have", "item 2 iid"),
        Case("refused-iid-zero", one(iid=0), "outside the numbers an epic can have", "item 2 iid"),
        Case("refused-iid-negative", one(iid=-3), "outside the numbers an epic can have", "item 2 iid"),
        Case("refused-iid-5000-digit-number", text('[{"iid": ' + "9" * 5000 + ', "title": "x"}]'), "digits long"),
        Case("refused-iid-5000-digit-text", one(iid="9" * 5000), "is not an epic number", "item 2 iid"),
        Case("refused-iid-fraction", one(iid=1.5), "1.5 is not an epic number", "item 2 iid"),
        Case("refused-iid-true", one(iid=True), "true is not an epic number", "item 2 iid"),
        Case("refused-iid-nan", text('[{"iid": NaN, "title": "x"}]'), "nan is not an epic number", "item 1 iid"),
        Case("refused-iid-arabic-digits", one(iid="١٢"), "is not an epic number", "item 2 iid"),
        Case("refused-parent-iid-abc", one(parent_iid="abc"), "'abc' is not an epic number", "item 2 parent_iid"),
        Case("refused-parent-id-a-list", one(parent_id=[1]), "a list is not an epic number", "item 2 parent_id"),
        Case("refused-parent-id-an-object", one(parent_id={}), "an object is not an epic number", "item 2 parent_id"),
        Case("refused-id-a-list", one(id=[5002]), "a list is not an epic number", "item 2 id"),
        Case(
            "refused-graphql-parent-text",
            text(json.dumps(graphql([{**graphql_epic(1, "A"), "widgets": [{"type": "HIERARCHY", "parent": "1"}]}]))),
            "'1' is not a parent epic",
            "item 1 parent",
        ),
        Case(
            "refused-title-lone-surrogate",
            text('[{"iid": 1, "title": "area: A \\ud800"}]'),
            "lone UTF-16 surrogate",
            "item 1 (iid 1) title",
        ),
        Case("refused-author-lone-surrogate", one(author={"name": "\udc00"}), "lone UTF-16 surrogate", "item 2 author"),
        Case("refused-title-a-number", one(title=5), "5 is not text", "item 2 (iid 2) title"),
        Case("refused-title-5000-characters", one(title="x" * 5000), "5,000 characters long", "item 2 (iid 2) title"),
        Case(
            "refused-web-url-javascript",
            one(web_url="javascript:alert(1)//groups/g/-/epics/2"),
            "is not a web address",
            "item 2 (iid 2) web_url",
        ),
        Case(
            "refused-web-url-data",
            one(web_url="data:text/html,<script>alert(1)</script>"),
            "is not a web address",
            "item 2 (iid 2) web_url",
        ),
        Case(
            "refused-web-url-mixed-case-scheme",
            one(web_url="JaVaScRiPt:alert(1)"),
            "is not a web address",
            "item 2 (iid 2) web_url",
        ),
        Case(
            "refused-web-url-with-a-newline",
            one(web_url="https://gitlab.com/x\njavascript:1"),
            "is not a web address",
            "item 2 (iid 2) web_url",
        ),
        Case("refused-due-date-with-garbage", one(due_date="2026-11-30Tgarbage"), "is not a date", "item 2 due_date"),
        Case("refused-due-date-year-1", one(due_date="0001-01-01"), "outside 1990–2100", "item 2 due_date"),
        Case("refused-due-date-31-february", one(due_date="2026-02-31"), "is not a date", "item 2 due_date"),
        Case("refused-due-date-a-number", one(due_date=20261130), "20261130 is not a date", "item 2 due_date"),
        Case("refused-start-date-american", one(start_date="11/30/2026"), "is not a date", "item 2 start_date"),
        Case("refused-updated-at-a-day", one(updated_at="2026-11-30"), "is not a time", "item 2 updated_at"),
        Case(
            "refused-updated-at-year-9999",
            one(updated_at="9999-01-01T00:00:00Z"),
            "outside 1990–2100",
            "item 2 updated_at",
        ),
        Case(
            "refused-state-with-a-line-break-and-escapes",
            one(state="closed\n\x1b[2J"),
            "'closed\\x0a\\x1b[2j' is not an epic state",
            "item 2 (iid 2) state",
        ),
        Case("refused-state-a-number", one(state=5), "5 is not text", "item 2 (iid 2) state"),
        Case(
            "refused-widgets-a-number",
            text(json.dumps([{**graphql_epic(1, "A"), "widgets": 5}])),
            "5 is not a list of widgets",
            "item 1 widgets",
        ),
        Case(
            "refused-type-a-list",
            text(json.dumps([{**graphql_epic(1, "A"), "workItemType": {"name": [1]}}])),
            "a list is not text",
            "item 1 type",
        ),
        Case(
            "refused-edges-a-number",
            text('{"data": {"group": {"workItems": {"edges": 5}}}}'),
            "'edges' that are 5, not a list",
        ),
        Case(
            "refused-429-reply-saved-as-page-2",
            text(page(rest_epic(1, "area: A")) + "\n" + '{"message": "429 Too Many Requests"}'),
            "JSON value 2 of the file holds GitLab's error reply among its pages, so epics are missing: '429 Too Many "
            "Requests'",
        ),
        Case(
            "refused-error-reply-inside-a-list-of-pages",
            text(json.dumps([[rest_epic(1, "area: A")], {"error": "insufficient_scope"}])),
            "it holds GitLab's error reply among its pages, so epics are missing: 'insufficient_scope'",
        ),
        Case(
            "refused-graphql-errors-beside-data",
            text(json.dumps(graphql([graphql_epic(1, "area: A")], errors=[{"message": "Timeout on workItems"}]))),
            "errors beside its data, so epics may be missing: 'Timeout on workItems'",
        ),
        Case(
            "refused-graphql-saved-with-a-next-page",
            text(json.dumps(graphql([graphql_epic(1, "area: A")], has_next_page=True))),
            "pageInfo.hasNextPage is true",
        ),
        Case(
            "refused-same-epic-same-update-different-dri",
            text(page(rest_epic(1, "area: A"), twin) + page(twin_other_dri)),
            f"items 2 and 3 are both epic '{GROUP}&2' with the same update time",
            "item 3 updated_at",
        ),
        Case(
            "refused-one-global-id-for-two-epics",
            text(page(rest_epic(1, "area: A"), rest_epic(2, "B", id=5001), rest_epic(3, "C", parent_id=5001))),
            "id 5001 is also the id of item 1 (iid 1)",
            "item 2 id",
        ),
        Case("refused-a-million-tiny-items", million_tiny_items, "more than 25,000 items"),
        Case("refused-25001-full-items", too_many_full_items, "more than 25,000 items"),
        Case("refused-over-32-mb", lambda: b"[" + b" " * (33 * 1024 * 1024) + b"]", "over the 32 MB"),
    ]
    accepted = [
        Case("accepted-a-20000-epic-parent-ring", parent_ring, expect={"count": 20_000}),
        Case(
            "accepted-labels-with-details-and-an-iid-as-text",
            text(page(epic(1, "area: A", iid="1", labels=[{"name": "Support Team", "color": "#fff"}]))),
            expect={"iid": 1, "labels": ("Support Team",)},
        ),
        Case(
            "accepted-largest-iid",
            text(page(epic(1, "area: A", iid=2**63 - 1, web_url=None, references={}))),
            expect={"iid": 2**63 - 1},
        ),
        Case(
            "accepted-due-date-as-a-full-time",
            one(due_date="2026-11-30T00:00:00.000Z"),
            expect={"iid": 2, "due_date": "2026-11-30"},
        ),
        Case(
            "accepted-title-markup-and-escapes-kept-verbatim",
            one(title="[x](javascript:alert(1)) <b>b</b> \x1b]8;;http://e.example\x07l\x1b]8;;\x07 😀"),
            expect={
                "iid": 2,
                "title": "[x](javascript:alert(1)) <b>b</b> \x1b]8;;http://e.example\x07l\x1b]8;;\x07 😀",
            },
        ),
        Case("accepted-the-same-page-saved-twice", text(page(rest_epic(1, "area: A")) * 2), expect={"count": 1}),
        Case(
            "accepted-newer-update-wins",
            text(
                page(rest_epic(1, "area: A (Old)", updated_at="2026-11-01T00:00:00Z"))
                + page(rest_epic(1, "area: A (New)", updated_at="2026-11-20T00:00:00Z"))
            ),
            expect={"iid": 1, "title": "area: A (New)"},
        ),
        Case(
            "accepted-graphql-pages-the-last-without-a-next-page",
            text(
                json.dumps(graphql([graphql_epic(1, "area: A")], has_next_page=True))
                + json.dumps(graphql([graphql_epic(2, "B", parent=1)]))
            ),
            expect={"iid": 2, "parent_iid": 1, "count": 2},
        ),
        Case(
            "accepted-plain-http-link",
            one(web_url=f"http://gitlab.example/groups/{GROUP}/-/epics/2"),
            expect={"iid": 2, "web_url": f"http://gitlab.example/groups/{GROUP}/-/epics/2"},
        ),
    ]
    return refused + accepted


# --- OKR files ---------------------------------------------------------------------------------


def csv_text(kind: str, *rows: str) -> Callable[[], bytes]:
    return text("\n".join([OKR_CSV_HEADERS[kind], *rows]) + "\n")


def workbook(**sheets: list[list]) -> Callable[[], bytes]:
    def build() -> bytes:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for title, rows in sheets.items():
            sheet = book.create_sheet(title.replace("_", " "))
            for row in rows:
                sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    return build


OBJECTIVE_HEADER = OKR_CSV_HEADERS["objectives"].split(",")
MANAGER_HEADER = OKR_CSV_HEADERS["managers"].split(",")


def okr_case(id: str, content, reason: str = "", row: int | None = None, column: str | None = None, **kw) -> Case:
    name = "okrs.xlsx" if "workbook" in id else "okrs.csv"
    return Case(id, content, reason, column, row, file_name=name, **kw)


def okr_cases() -> list[Case]:
    big = "x" * 200_000
    refused = [
        okr_case(
            "refused-quarter-fy2127",
            csv_text("objectives", "X1,FY2127-Q4,department,Goal,Director,"),
            "FY2127 is outside the fiscal years FY2000–FY2099",
            2,
            "quarter",
        ),
        okr_case(
            "refused-quarter-fy1999",
            csv_text("objectives", "X1,FY1999-Q1,department,Goal,Director,"),
            "FY1999 is outside the fiscal years FY2000–FY2099",
            2,
            "quarter",
        ),
        okr_case(
            "refused-quarter-q5",
            csv_text("objectives", "X1,FY27-Q5,department,Goal,Director,"),
            "'FY27-Q5' is not a fiscal quarter",
            2,
            "quarter",
        ),
        okr_case(
            "refused-manager-since-year-1",
            csv_text("managers", "Ana,AMER,,2020-01-06", "Bo,EMEA,,0001-01-01"),
            "0001-01-01 is outside 1990–2100",
            3,
            "manager_since",
        ),
        okr_case(
            "refused-manager-since-2101",
            csv_text("managers", "Ana,AMER,,2101-01-01"),
            "2101-01-01 is outside 1990–2100",
            2,
            "manager_since",
        ),
        okr_case(
            "refused-workbook-manager-since-1901",
            workbook(Managers=[MANAGER_HEADER, ["Ana", "AMER", "", dt.date(1901, 1, 1)]]),
            "1901-01-01 is outside 1990–2100",
            2,
            "manager_since",
        ),
        okr_case(
            "refused-200-kb-cell-in-a-csv",
            csv_text("managers", "Ana,AMER,,2020-01-06", f'"{big}",EMEA,,2021-03-01'),
            "the cell is over 131,072 characters long",
            3,
            "name",
        ),
        okr_case(
            "refused-200-kb-unquoted-cell-in-a-csv",
            csv_text("managers", f"Ana,AMER,{big},2020-01-06"),
            "the cell is over 131,072 characters long",
            2,
            "segment",
        ),
        okr_case(
            "refused-200-kb-cell-in-a-workbook",
            workbook(Managers=[MANAGER_HEADER, ["Ana", "AMER", big[:30_000], "2020-01-06"]]),
            "the text is 30,000 characters long",
            2,
            "segment",
        ),
        okr_case(
            "refused-date-with-garbage",
            csv_text("managers", "Ana,AMER,,2026-11-30Tgarbage"),
            "'2026-11-30Tgarbage' is not a date",
            2,
            "manager_since",
        ),
        okr_case(
            "refused-over-100000-rows",
            lambda: ("\n".join([OKR_CSV_HEADERS["managers"]] + ["Ana,AMER,,2020-01-06"] * 100_001) + "\n").encode(),
            "it has more than 100,000 rows",
            100_001,
        ),
        okr_case(
            "refused-over-20-mb",
            lambda: OKR_CSV_HEADERS["managers"].encode() + b"\n" + b" " * (21 * 1024 * 1024),
            "over the 20 MB an OKR file may have",
        ),
    ]
    accepted = [
        okr_case(
            "accepted-quarter-fy2027-kept-as-fy27",
            csv_text("objectives", "X1,FY2027-Q4,department,Goal,Director,"),
            expect={"quarter": "FY27-Q4"},
        ),
        okr_case(
            "accepted-manager-since-1990",
            csv_text("managers", "Ana,AMER,,1990-01-01"),
            expect={"manager_since": "1990-01-01"},
        ),
        okr_case(
            "accepted-quarter-written-loosely",
            csv_text("objectives", "X1,fy 27 q4,department,Goal,Director,"),
            expect={"quarter": "FY27-Q4"},
        ),
        okr_case(
            "accepted-manager-since-2100",
            csv_text("managers", "Ana,AMER,,2100-12-31"),
            expect={"manager_since": "2100-12-31"},
        ),
    ]
    return refused + accepted
