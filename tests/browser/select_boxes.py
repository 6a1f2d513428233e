"""Choosing in a Streamlit select box the way a person does, robust to a rerun that redraws the box."""

from __future__ import annotations

import re

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ATTEMPTS = 3


def choose(page: Page, box: str, typed: str, option: str | re.Pattern) -> None:
    """Open the select box named ``box``, type ``typed`` (the list shows a few options at a time; typing
    finds the others) and click the option matching ``option``. A rerun that redraws the box while its list
    is open closes the list; the box is then opened again, at most three times."""
    for _ in range(ATTEMPTS):
        picker = page.get_by_role("combobox", name=box)
        picker.scroll_into_view_if_needed()
        picker.click()
        page.keyboard.type(typed)
        choice = page.get_by_role("option").filter(has_text=option).first
        try:
            choice.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        choice.click()
        return
    raise AssertionError(f"no option {option!r} in the select box {box!r} after {ATTEMPTS} tries")
