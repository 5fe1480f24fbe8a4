"""Choosing in a picker (static/js/picker.js) the way a person does with the
keyboard: type part of a name, wait for the match to be highlighted, press Enter."""

from playwright.sync_api import Locator, expect


def pick(box: Locator, typed: str, match: str | None = None) -> None:
    """Type `typed` into the picker's search box and choose the highlighted
    match once it is the one whose label contains `match` (default: `typed`)."""
    box.click()
    box.fill("")
    box.press_sequentially(typed, delay=20)
    listbox = box.page.locator(f"#{box.get_attribute('aria-controls')}")
    highlighted = listbox.locator("[role=option][aria-selected=true]")
    expect(highlighted).to_contain_text(match or typed, ignore_case=True)
    box.press("Enter")
    expect(listbox).to_be_hidden()
