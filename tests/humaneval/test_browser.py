"""End to end in a real headless Chromium (Debian's, driven by Playwright) against the app
under waitress, as `serve` runs it: enter a rater id, score one set with clicks and the next
with keys (each POST carries the page's form token and the browser's Origin), reload,
resume, and check SQLite.

Skips without chromium or the playwright package, unless CI is set (CI installs both).
AVGAN_HUMANEVAL_SCREENSHOT=docs/humaneval_rating_page.png also saves the screenshot there.
"""

import os
import shutil
import sqlite3

import pytest
from PIL import Image

from .conftest import read_study

CHROMIUM = os.environ.get("AVGAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser():
    missing = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright Python package"
    if not os.access(CHROMIUM, os.X_OK):
        missing = f"{CHROMIUM} (Debian package chromium)"
    if missing:
        message = f"{missing} is not installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def browser_page(tmp_path):
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 540},
        )
        context.set_default_timeout(10_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def focused_image(page) -> str | None:
    return page.evaluate("document.activeElement.closest('.card')?.dataset.image ?? null")


def test_rate_with_clicks_and_keys_then_resume(live_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    base, study_dir = live_server
    study = read_study(study_dir)
    page = browser_page
    set1, set2, set3 = study["sets"][:3]

    assert page.goto(base + "/").headers["server"] == "waitress"  # the production server
    page.fill("#rater", "alice")
    page.press("#rater", "Enter")
    page.wait_for_url("**/rate?rater=alice")
    assert page.inner_text("#progress") == "Set 1 of 6"
    assert page.text_content("#instrument") == set1["instrument"].replace("_", " ")
    assert "Realistic image & match instrument" in page.inner_text("aside")
    cards = page.locator(".card")
    assert cards.count() == 4
    assert page.evaluate(  # every picture loaded (served by opaque id)
        "Array.from(document.images).every(i => i.complete && i.naturalWidth === 64)"
    )

    # Set 1 with the mouse.
    assert page.is_disabled("#submit-set")
    for k, score in enumerate([3, 2, 1, 0]):
        cards.nth(k).locator(f".choice.s{score}").click()
    assert page.is_enabled("#submit-set")
    page.click("#submit-set")
    expect(page.locator("#progress")).to_have_text("Set 2 of 6")
    page.wait_for_load_state("load")  # rate.js has run: it focuses the first picture

    # Set 2 with the keyboard: the first picture has the focus.
    ids = [im["id"] for im in set2["images"]]
    assert focused_image(page) == ids[0]
    page.keyboard.press("Enter")  # nothing scored yet: refused, focus on the first unscored
    assert page.inner_text("#message") == "Score every picture first."
    assert page.inner_text("#progress") == "Set 2 of 6"
    page.keyboard.press("1")  # A = 1, focus moves to B
    assert focused_image(page) == ids[1]
    page.keyboard.press("ArrowLeft")
    assert focused_image(page) == ids[0]
    page.keyboard.press("3")  # A = 3 (rescored)
    page.keyboard.press("2")  # B = 2, focus on C
    page.keyboard.press("Tab")  # to D, leaving C unscored
    assert focused_image(page) == ids[3]
    page.keyboard.press("0")  # D = 0: last picture, back to the first unscored (C)
    assert focused_image(page) == ids[2]
    page.keyboard.press("1")  # C = 1
    page.keyboard.press("Enter")
    expect(page.locator("#progress")).to_have_text("Set 3 of 6")
    page.wait_for_load_state("load")  # rate.js has run: it focuses the first picture
    assert page.text_content("#instrument") == set3["instrument"].replace("_", " ")

    # Half-score set 3 for the screenshot, then reload: resumes at set 3 (nothing stored).
    page.keyboard.press("3")
    page.keyboard.press("2")
    checked = [cards.nth(k).locator("input:checked") for k in range(4)]
    assert [c.count() for c in checked] == [1, 1, 0, 0]
    assert checked[0].get_attribute("value") == "3" and checked[1].get_attribute("value") == "2"
    shot = tmp_path / "rating_page.png"
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as im:
        assert im.format == "PNG" and im.width == 1280
    if os.environ.get("AVGAN_HUMANEVAL_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["AVGAN_HUMANEVAL_SCREENSHOT"])
    page.reload()
    assert page.inner_text("#progress") == "Set 3 of 6"
    page.goto(base + "/")
    page.fill("#rater", "alice")
    page.click("button[type=submit]")
    page.wait_for_url("**/rate?rater=alice")
    assert page.inner_text("#progress") == "Set 3 of 6"

    conn = sqlite3.connect(os.path.join(study_dir, "scores.sqlite"))
    rows = conn.execute(
        "SELECT rater, set_id, image_id, score, scored_at FROM scores ORDER BY scored_at"
    ).fetchall()
    conn.close()
    ids1 = [im["id"] for im in set1["images"]]
    expected = [("alice", set1["id"], i, s) for i, s in zip(ids1, [3, 2, 1, 0], strict=True)]
    expected += [("alice", set2["id"], i, s) for i, s in zip(ids, [3, 2, 1, 0], strict=True)]
    assert sorted(r[:4] for r in rows) == sorted(expected)
    assert all(r[4] for r in rows)
    assert rows[0][4] <= rows[-1][4] and {r[1] for r in rows[4:]} == {set2["id"]}
