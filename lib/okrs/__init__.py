"""OKRs by fiscal quarter: the manager roster, objectives, key results and their check-ins.

What the handbook asks, and how it is checked here:

- Every Support Engineering Manager holds at least one OKR each quarter, aligned with a
  department-level OKR of the same quarter. A new manager sets one only after a *full
  fiscal quarter* in the role: the first quarter that lies wholly on or after the day
  they became a manager (``lib.metrics.fiscal.first_full_quarter_from``). They are exempt up to
  and including that quarter, i.e. until its last day, and expected to hold an OKR from
  the quarter after.
- A key result's score is its newest check-in's score; with no check-in yet, the score
  typed on the key result (a starting score). A key result linked to a KPI takes its
  score from the uploaded data instead: the share of the quarter's complete weeks (a
  week belongs to the quarter its Monday falls in) whose value meets the threshold,
  compared exactly on the counts.
- A typed key result with no check-in for ``STALE_AFTER_DAYS`` days (counted from its
  newest check-in, or from the quarter's first day when it has none) is stale, judged on
  today or, for a past quarter, on its last day.
- Bands come from ``settings.okr_bands``: at or above ``on_target`` is on target, at or
  above ``off_target`` off target, below it at risk.
- A department objective's progress is the plain mean of the scores of every key result
  beneath it: its own key results and those of every manager objective aligned to it.
  Key results without a score are left out (and counted as unscored).
- Priority order (KPIs, then team growth, then OKRs): a manager whose region, or whose
  segment, has a KPI in a sustained breach sees that above their OKRs.

Every write is one ``store.transaction``, records who changed what in the change log and
bumps the data version. Files are refused whole: a bad row is named with its row and column
and nothing is stored.

The modules, each one job (import the one you need; this file holds nothing else):

- ``model``: the kinds of rows and their columns, bands, the KPI link, a checked ``Batch``.
- ``imports``: reading an XLSX or CSV OKR file (through ``lib.reading.files``) into tables of rows.
- ``checks``: every row checked, in dependency order, or refused naming its row and column.
- ``repository``: reads and writes of the stored OKRs (imports, in-app edits, check-ins).
- ``exports``: the XLSX and CSV templates and the download of every stored row.
- ``scoring``: bands, exemptions, stale key results, KPI-linked progress, sustained breaches.
- ``quarters``: one quarter with every check done, and the page's tables.

The alignment chart is ``lib.ui.figures.okr_alignment_figure``; the demo OKRs are ``lib.demo.okrs``.
"""
