"""Text hygiene: surrogates, control bytes, bidi overrides, Markdown and CSV specials."""
from grader.text import csv_cell, md_code, md_text, one_line, scrub, visible


def test_scrub_replaces_lone_surrogates_so_utf8_encodes():
    assert scrub("1\ud800x\udfff") == "1\ufffdx\ufffd"
    scrub("a\ud800").encode("utf-8")


def test_visible_shows_escape_sequences_instead_of_sending_them():
    attack = "\u001b]0;TITLE\u0007\u001b[2J"
    shown = visible(attack)
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown == "\\x1b]0;TITLE\\x07\\x1b[2J"


def test_visible_shows_nul_bidi_and_newlines():
    assert visible("a\x00b\u202ec\nd") == "a\\x00b\\u202ec\\nd"
    assert visible("a\nb", keep="\n") == "a\nb"


def test_one_line_cuts_with_an_ellipsis():
    assert one_line("abcdef", 4) == "abc…"


def test_md_text_escapes_html_and_markdown():
    assert md_text("<script>alert(1)</script>") == "\\<script\\>alert\\(1\\)\\</script\\>"
    assert "\n" not in md_text("Ann\n# Heading")


def test_md_code_fences_around_backticks():
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x") == "`` `x ``"
    assert md_code("x\x1by") == "`x\\x1by`"


def test_csv_cell_quotes_formulas():
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("-1") == "'-1"
    assert csv_cell("Ann\r\nBob") == "Ann\\nBob"
