"""Static HTML export: page content, command line, and the page in headless Chromium."""

import os
import re
import shutil

import pytest

from mapletree.viz import export
from mapletree.viz.record import frames_from_case

CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")


@pytest.fixture
def page_file(golden, tmp_path):
    frames = frames_from_case(golden("leaf_split_plain"))
    path = tmp_path / "walk.html"
    path.write_text(export.page_html(frames, title="split"), encoding="utf-8")
    return path, frames


def test_page_is_self_contained(page_file):
    path, frames = page_file
    text = path.read_text()
    assert text.count('<div class="frame"') == len(frames)
    assert text.count("<svg") == len(frames)
    assert "http://" not in re.sub(r'xmlns(:xlink)?="http://[^"]+"', "", text).replace(
        "http://www.w3.org", "")
    assert "<script src" not in text and "<link" not in text
    ids = re.findall(r'<g id="([^"]+)" class="graph"', text)
    assert len(ids) == len(set(ids)) == len(frames)       # ids unique across frames


def test_cli_list_and_errors(capsys, tmp_path):
    assert export.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in ("small-tree", "split", "mt-dup", "dontcopy-alloc", "fork-fail-6.7-bulk",
                 "fork-fail-v2-marker", "fork-fail-v4-undo", "fork-fail-6.8-marker",
                 "fork-fail-7.0-recovery"):
        assert name in out
    assert export.main(["no-such-scenario", "-o", str(tmp_path / "x.html")]) == 2
    assert not (tmp_path / "x.html").exists()
    assert export.main([]) == 2


def test_cli_export_split(tmp_path, capsys):
    out = tmp_path / "split.html"
    assert export.main(["split", "-o", str(out)]) == 0
    text = out.read_text()
    assert "mas_split" in text and text.count('<div class="frame"') >= 5


def _browser():
    if not CHROMIUM:
        pytest.skip("Chromium is not installed (/usr/bin/chromium): browser check skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: browser check skipped")
    return sync_playwright


def test_page_in_headless_chromium(page_file):
    sync_playwright = _browser()
    path, frames = page_file
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(path.as_uri())
            visible = page.locator(".frame.on svg")
            assert page.locator("#count").inner_text() == f"step 1 of {len(frames)}"
            first = visible.inner_html()
            page.click("#next")
            assert page.locator("#count").inner_text() == f"step 2 of {len(frames)}"
            assert page.locator(".frame.on").get_attribute("id") == "frame1"
            assert visible.inner_html() != first
            page.click("#nev")                  # next event of interest: the split
            assert page.locator(".frame.on").get_attribute("id") == "frame9"
            assert "split" in page.locator("#kind").inner_text()
            page.select_option("#speed", "100")
            page.click("#play")
            page.wait_for_function(f"document.body.getAttribute('data-step') == '{len(frames) - 1}'",
                                   timeout=15000)
            assert page.locator("#play").inner_text() == "play"      # stopped at the end
            assert page.locator("#count").inner_text() == f"step {len(frames)} of {len(frames)}"
        finally:
            browser.close()


def test_strip_click_jumps(page_file):
    sync_playwright = _browser()
    path, frames = page_file
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(path.as_uri())
            marks = page.locator("#strip span")
            assert marks.count() == len(frames)
            assert page.locator("#strip span.split").count() == 3
            marks.nth(13).click()
            assert page.locator(".frame.on").get_attribute("id") == "frame13"
            assert "on" in marks.nth(13).get_attribute("class")
            page.keyboard.press("ArrowLeft")
            assert page.locator("#count").inner_text() == f"step 13 of {len(frames)}"
        finally:
            browser.close()
