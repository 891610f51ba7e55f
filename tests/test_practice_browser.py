"""The practice app in headless Chromium driven by Playwright: the flows a student goes through
(preview, right and wrong answers, a named misconception, the solution, a new variant, a reload
that shows the attempt), keyboard-only use, no layout jump, phone width, ink where the math is.
Skips loudly when Playwright or Chromium is missing."""
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from browsing import chromium
from grader import registry
from grader.render import part_label
from test_browser import decode_png, luminance

pytestmark = pytest.mark.browser

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    binary = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("BROWSER TESTS SKIPPED: Playwright for Python is not installed (pip install playwright); "
                    "the practice app was not checked in a browser")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=binary, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`grader practice --no-browser` in its own process (its grading sandbox then shares no pipe
    with the browser driver), on a free port, with its history in a temporary folder."""
    env = dict(os.environ, GRADER_DATA_DIR=str(tmp_path_factory.mktemp("practice-data")))
    proc = subprocess.Popen([sys.executable, "-m", "grader", "practice", "--no-browser"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("Practice at "), line
        yield SimpleNamespace(url=line.split()[-1])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, errors


def hook(page, attr, part):
    return page.locator(f'[{attr}="{part}"]')


def seed_of(page) -> int:
    seed = int(page.locator("html").get_attribute("data-seed"))
    assert re.search(rf"[?&]seed={seed}\b", page.url)
    return seed


def submit_and_wait(page, part):
    before = hook(page, "data-score-for", part).text_content()
    page.locator('button[type="submit"]').click()
    page.wait_for_function("([sel, before]) => document.querySelector(sel).textContent !== before && "
                           "!document.querySelector('button[type=submit]').disabled",
                           arg=[f'[data-score-for="{part}"]', before])


def ink(png: bytes) -> float:
    """The share of dark pixels in a screenshot."""
    width, height, bpp, pixels = decode_png(png)
    lum = luminance(pixels, bpp)
    return sum(v < 128 for v in lum) / len(lum)


def test_batchnorm_forward_flow(page, server):
    page.goto(server.url)
    page.get_by_role("link", name="Batch normalisation: the forward pass").click()
    page.wait_for_selector('[data-preview-for="mean"]')
    seed = seed_of(page)
    inst = registry.get("batchnorm-forward").instance(seed, {})
    assert ink(page.locator(".statement math").first.screenshot()) > 0.02

    page.locator('[name="mean"]').fill(r"\frac{-5}{3}")
    preview = hook(page, "data-preview-for", "mean")
    preview.locator("math mfrac").wait_for()
    assert "Read as" in preview.text_content()
    assert ink(preview.locator("math").screenshot()) > 0.02
    page.locator('[name="output"]').fill("[1, 2")
    hook(page, "data-preview-for", "output").locator("pre.caret").wait_for()

    below = page.locator(f'#batchnorm-forward-output').bounding_box()["y"]
    page.locator('[name="mean"]').fill(inst.answer("mean"))
    page.locator('[name="variance"]').fill(str(inst.context["unbiased"]))
    submit_and_wait(page, "output")
    assert hook(page, "data-verdict-for", "mean").text_content() == "correct"
    assert hook(page, "data-verdict-for", "variance").text_content() == "incorrect"
    assert "unbiased" in hook(page, "data-feedback-for", "variance").text_content()
    assert hook(page, "data-verdict-for", "output").text_content() == "invalid"
    assert page.locator(f'#batchnorm-forward-output').bounding_box()["y"] == below  # no layout jump
    assert page.locator("[data-attempts]").text_content() == "1"

    page.get_by_role("button", name="Show solution").click()
    solution = hook(page, "data-solution-for", "variance")
    solution.wait_for(state="visible")
    assert "Solution" in solution.text_content() and inst.answer("variance") in solution.text_content()

    page.get_by_role("link", name="New variant").click()
    page.wait_for_selector('[data-preview-for="mean"]')
    assert seed_of(page) == seed + 1
    assert hook(page, "data-verdict-for", "mean").text_content() == ""

    page.goto(f"{server.url}p/batchnorm-forward?seed={seed}")
    assert page.locator('[name="variance"]').input_value() == str(inst.context["unbiased"])
    assert hook(page, "data-verdict-for", "variance").text_content() == "incorrect"
    assert page.locator("[data-attempts]").text_content() == "1"
    page.goto(server.url)
    assert "unbiased-variance" in page.locator("section.next").text_content()


def test_keyboard_only(page, server):
    page.goto(f"{server.url}p/batchnorm-forward?seed=7")
    inst = registry.get("batchnorm-forward").instance(7, {})
    page.locator('[name="mean"]').focus()
    page.keyboard.type(inst.answer("mean"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "variance"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "output"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Enter in a box submits
    hook(page, "data-verdict-for", "mean").filter(has_text="correct").wait_for()
    assert hook(page, "data-verdict-for", "output").text_content() == "unanswered"
    labels = page.evaluate("[...document.querySelectorAll('input, textarea')].map(i => i.getAttribute('aria-label'))")
    assert labels and all(labels)


def test_beam_search_sets_and_sequences(page, server):
    page.goto(f"{server.url}p/beam-search?seed=3")
    inst = registry.get("beam-search").instance(3, {})
    assert ink(page.locator("figure svg").first.screenshot()) > 0.01
    page.locator('[name="beam_1"]').fill(", ".join(reversed(inst.answer("beam_1"))))
    page.locator('[name="returned"]').fill(inst.answer("returned").upper())
    wrong = next(p for p in ("most_likely", "greedy") if inst.answer(p) != inst.answer("returned"))
    page.locator(f'[name="{wrong}"]').fill(" ".join(reversed(inst.answer(wrong).split())) + " extra")
    page.locator('[name="complexity"]').fill(r"O(TkM\log M)")
    hook(page, "data-preview-for", "complexity").locator(".read-as").wait_for()
    label = part_label([part.id for part in inst.parts].index("is_optimal"))  # the draw sets how many beams
    page.get_by_label(f"Answer to part ({label}) is_optimal: {str(inst.answer('is_optimal')).lower()}",
                      exact=True).check()
    submit_and_wait(page, "complexity")
    verdict = lambda part: hook(page, "data-verdict-for", part).text_content()
    assert [verdict(p) for p in ("beam_1", "returned", "is_optimal", "complexity")] == ["correct"] * 4
    assert verdict(wrong) == "incorrect"
    assert verdict("beam_2") == "unanswered"


def test_ridge_regression_matrix_expression(page, server):
    page.goto(f"{server.url}p/ridge-regression?seed=3")
    box = page.locator('[name="closed_form"]')
    box.fill("A^T (A A^T + lambda I)^(-1) b")
    hook(page, "data-preview-for", "closed_form").locator(".read-as").wait_for()
    assert hook(page, "data-preview-for", "closed_form").get_attribute("data-state") == "ok"
    page.locator('[name="interpret"]').fill("Small singular values are damped.")
    submit_and_wait(page, "closed_form")
    assert hook(page, "data-verdict-for", "closed_form").text_content() == "correct"
    assert hook(page, "data-verdict-for", "interpret").text_content() == "manual"
    box.fill("(A^T A)^(-1) A^T b")
    submit_and_wait(page, "closed_form")
    assert hook(page, "data-verdict-for", "closed_form").text_content() == "incorrect"
    assert page.locator("[data-attempts]").text_content() == "2"


def test_phone_width_has_no_sideways_scroll(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        tab = context.new_page()
        for path in ("", "p/batchnorm-forward?seed=3", "p/beam-search?seed=3", "p/ridge-regression?seed=3"):
            tab.goto(server.url + path)
            width = tab.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 376, (path, width)
        shot = tab.screenshot()
        assert 0.01 < ink(shot) < 0.4
    finally:
        context.close()
