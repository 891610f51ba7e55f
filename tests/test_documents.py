"""Documents (SPEC §6): every registered problem as md, tex and html, with and without
solutions; markdown-with-math conversion to HTML/MathML and to LaTeX; hostile text escaped."""
import re
from html.parser import HTMLParser

import pytest

from grader import registry
from grader.figures import GraphFigure, TreeFigure
from grader.markup import latex_escape, math_spans, markdown_to_html, markdown_to_latex, mathml, split_math
from grader.render import problem_view, render, render_document

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements the pages may hold; anything else (script, iframe, img, object...) is refused.
ALLOWED = VOID - {"img", "embed", "source", "track", "input", "area", "base", "link"} | {
    "html", "head", "body", "title", "style", "header", "footer", "section", "div", "span", "p", "h1",
    "h2", "h3", "h4", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a", "table",
    "thead", "tbody", "tr", "th", "td", "figure", "figcaption",
    # MathML
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot", "msub", "msup",
    "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "semantics", "annotation",
    # SVG
    "svg", "g", "line", "path", "rect", "circle", "ellipse", "polygon", "polyline", "text", "tspan",
}


class Checker(HTMLParser):
    """Well-formedness: every non-void element closed in order; the elements and attributes used."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.attrs = [], [], {}, []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs += attrs
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs += attrs

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()


def check_html(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, f"unclosed: {checker.stack[:5]}"
    assert set(checker.tags) <= ALLOWED, f"unexpected elements: {set(checker.tags) - ALLOWED}"
    for name, value in checker.attrs:
        assert not name.startswith("on"), f"event handler attribute {name}"
        if name == "xmlns":
            continue
        assert not re.search(r"(https?:|//|javascript:|data:)", value or "", re.I), f"{name}={value!r}"
    errors = re.findall(r'<code class="math-error">(.*?)</code>', page)
    assert not errors, f"LaTeX math the converter cannot read: {errors[:3]}"
    without_namespaces = re.sub(r'xmlns="[^"]*"', "", page)
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", without_namespaces, re.I), "remote URL"
    return checker


INSTANCES = [pytest.param(pid, seed, id=f"{pid}-{seed}") for pid in registry.ids() for seed in (0, 7)]


@pytest.mark.parametrize("problem_id,seed", INSTANCES)
@pytest.mark.parametrize("solution", [False, True], ids=["exercise", "solution"])
def test_every_problem_renders_as_documents(problem_id, seed, solution):
    instance = registry.get(problem_id).instance(seed)
    view = problem_view(instance, solution)
    answers = [part["answer_text"] for part in view["parts"]] if solution else []

    md = render(instance, "md", solution=solution)
    assert view["title"] in md and all(f"`{part.id}`" in md for part in instance.parts)
    assert ("**Solution.**" in md) == solution

    page = render(instance, "html", solution=solution)
    checker = check_html(page)
    texts = [view["statement"]] + [f.caption for f in view["figures"]] + [part["prompt"] for part in view["parts"]]
    texts += [part["solution"] for part in view["parts"]] if solution else []
    spans = sum(len(math_spans(text)) for text in texts)
    assert checker.tags.get("math", 0) == spans, "every $math$ span becomes one MathML element"
    assert checker.tags.get("svg", 0) == len(view["figures"])
    assert page.count('<div class="part"') == len(instance.parts)
    assert page.count('<div class="solution">') == (len(instance.parts) if solution else 0)
    for answer in answers:
        assert _html_escape(answer) in page

    tex = render(instance, "tex", solution=solution)
    assert tex.startswith("\\documentclass[11pt]{exam}")
    assert tex.count("\\part[") == len(instance.parts)
    assert tex.count("\\begin{tikzpicture}") == len(view["figures"])
    assert ("\\printanswers" in tex) == solution
    assert tex.count("\\begin{solution}") == tex.count("\\end{solution}") == (len(instance.parts) if solution else 0)
    for env in ("questions", "parts", "center", "tikzpicture", "itemize", "enumerate"):
        assert tex.count(f"\\begin{{{env}}}") == tex.count(f"\\end{{{env}}}"), env
    assert _braces_balance(tex)


def _html_escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _braces_balance(tex: str) -> bool:
    depth = 0
    for m in re.finditer(r"\\[{}]|\\\\|[{}]", tex):
        if m.group() in ("{", "}"):
            depth += 1 if m.group() == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def test_a_multi_problem_document_numbers_its_problems():
    views = [problem_view(registry.get(pid).instance(3), True, points=10) for pid in registry.ids()[:3]]
    for fmt in ("md", "tex", "html"):
        doc = render_document(views, fmt, title="Midterm 1", subtitle="Student s123", solution=True,
                              instructions="Show **all** your work; $\\sigma$ is the sigmoid.")
        assert "Midterm 1" in doc and "Student s123" in doc
    page = render_document(views, "html", title="Midterm 1", solution=False)
    check_html(page)
    assert page.count('<section class="problem"') == len(views)
    assert all(f"Problem {i + 1}: " in page for i in range(len(views)))
    tex = render_document(views, "tex", title="Midterm 1", solution=False)
    assert tex.count("\\titledquestion") == len(views) and "\\printanswers" not in tex
    assert "(10 points)" in tex


def test_math_is_protected_from_markdown():
    out = markdown_to_html("Compute $a_1 * b_2 * c_3$ and *this*.")
    assert "<em>this</em>" in out and out.count("<em>") == 1
    assert "<msub><mi>a</mi><mn>1</mn></msub>" in out
    block = markdown_to_html("Before\n\n$$\\frac{x_1}{2}$$\n\nAfter")
    assert 'display="block"' in block and "<mfrac>" in block
    assert "<code>a$b$</code>" in markdown_to_html("Type `a$b$` literally.")


@pytest.mark.parametrize("source, spans", [
    ("It costs \\$5 and \\$10.", []), ("It costs $5 and $10.", []),
    ("Type `a$b` and `c$d`.", []), ("Both $x$ and $$y$$ and $ z $.", [("x", False), ("y", True), ("z", False)]),
])
def test_dollar_signs_are_math_only_where_markdown_reads_math(source, spans):
    assert math_spans(source) == spans
    html = markdown_to_html(source)
    assert html.count("<math") == len(spans)
    assert [piece for kind, piece, _ in split_math(source) if kind == "math"] == [tex for tex, _ in spans]
    if not spans:
        assert "$" in html and "$" in markdown_to_latex(source)
    assert "<code>a$b</code> and <code>c$d</code>" in markdown_to_html("Type `a$b` and `c$d`.")
    assert "\\texttt{a\\$b} and \\texttt{c\\$d}" in markdown_to_latex("Type `a$b` and `c$d`.")


def test_hostile_text_and_math_are_escaped():
    out = markdown_to_html("<script>alert(1)</script> <img src=x onerror=alert(1)> ![x](http://evil.example/x.png)")
    assert "<script" not in out and "<img" not in out and "&lt;script&gt;" in out
    math = mathml("\\text{<img src=x onerror=alert(1)>} < & b")
    assert "<img" not in math and "&lt;img" in math and "&amp;" in math
    assert "<script" not in mathml("\\mathrm{</math><script>}")


def test_hostile_parameters_in_a_page_are_escaped():
    evil = "<script>alert(1)</script>"
    view = {"id": "x", "title": evil, "seed": 1, "params": {}, "statement": f"Words: {evil} $v_{{A}}$",
            "points": 1, "figures": [TreeFigure(evil, [TreeFigure(evil, edge=evil)], caption=evil),
                                     GraphFigure([evil, "B"], [(evil, "B")], {evil: evil}, caption=evil)],
            "parts": [{"id": evil, "label": "a", "type": "number", "points": 1, "prompt": evil, "rule": evil,
                       "answer": evil, "answer_text": evil, "solution": evil}]}
    page = render_document([view], "html", title=evil, subtitle=evil, solution=True, instructions=evil)
    check_html(page)
    assert "<script" not in page
    tex = render_document([view], "tex", title=evil, subtitle=evil, solution=True, instructions=evil)
    assert "\\textless{}script\\textgreater{}" in tex and "<script>" not in tex


def test_latex_escapes_special_characters_outside_math():
    assert latex_escape("50% of $x & #1_a {b} ~ ^ \\") == (
        "50\\% of \\$x \\& \\#1\\_a \\{b\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}")
    assert latex_escape("γ – ok") == "\\ensuremath{\\gamma} -- ok"  # a lone Greek letter is math


@pytest.mark.parametrize("name, font", [
    ("Nguyễn", "{\\graderscript Nguyễn}"), ("Дмитрий Шостакович", "{\\graderscript Дмитрий Шостакович}"),
    ("Αλέξανδρος", "{\\graderscript Αλέξανδρος}"), ("李小龙", "{\\gradercjk 李小龙}"),
    ("김민준", "{\\gradercjk 김민준}"), ("محمد الخوارزمي", "\\graderrtl{محمد الخوارزمي}"),
    ("Zoë Ångström", "Zoë Ångström"),
])
def test_latex_escape_sets_each_script_in_a_font_that_has_it(name, font):
    assert latex_escape(name) == font


def test_markdown_to_latex():
    out = markdown_to_latex(
        "A **bold** and *italic* word, `code_x`, 50% off, $x_1^2 \\% y$.\n\n- one\n- two $a$\n\n"
        "1. first\n2. second\n\n$$\\sum_i x_i$$\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nfor x in y:\n  go()\n```")
    assert "\\textbf{bold}" in out and "\\emph{italic}" in out and "\\texttt{code\\_x}" in out
    assert "50\\% off" in out and "$x_1^2 \\% y$" in out
    assert out.count("\\item") == 4 and "\\begin{itemize}" in out and "\\begin{enumerate}" in out
    assert "\\[ \\sum_i x_i \\]" in out
    assert "\\begin{tabular}{ll}" in out and "1 & 2 \\\\" in out
    assert "for\\ x\\ in\\ y:" in out and "\\ \\ go()" in out


OVERFULL = re.compile(r"^Overfull \\hbox \(([\d.]+)pt too wide\) (?:in paragraph at lines (\d+)|detected at line (\d+))", re.M)


def _overfull_lines(documents: list[tuple[str, str]], preamble: str) -> list[str]:
    """Compile `(label, body)` documents in one LaTeX run; each overfull line wider than 0.5 pt
    as `label: N pt too wide`."""
    from grader.pdf import class_document, run_tex

    bodies = [body for _, body in documents]
    source = class_document(preamble, bodies)
    starts, at = [], 0
    for body in bodies:  # the source line each document starts on
        at = source.index(body, at)
        starts.append(source.count("\n", 0, at) + 1)
    run = run_tex(source, draft=True, timeout=300)
    found = []
    for m in OVERFULL.finditer(run.log):
        at = int(m.group(2) or m.group(3))
        label = documents[max(k for k, start in enumerate(starts) if start <= at)][0]
        if float(m.group(1)) > 0.5:
            found.append(f"{label}: {m.group(1)} pt too wide (doc.tex line {at})")
    return found


@pytest.mark.tex
def test_no_problem_document_has_an_overfull_line():
    """Every registered problem, three variants, as exercise, solutions and paper exam: each
    compiles with XeLaTeX and no line sticks out of the text block by more than 0.5 pt."""
    from types import SimpleNamespace

    from grader.exam import paper
    from grader.pdf import tex_engine
    from grader.render import tex_body, tex_preamble

    if tex_engine() is None:
        pytest.skip("TEX TESTS SKIPPED: no xelatex on PATH (apt-get install texlive-xetex texlive-latex-extra "
                    "texlive-pictures fonts-noto-core fonts-noto-cjk); the LaTeX documents were not compiled")
    instances = [(pid, seed, registry.get(pid).instance(seed)) for pid in registry.ids() for seed in (0, 7, 11)]
    job = SimpleNamespace(title="Every problem", exam_id="every-problem", instructions="")
    found = []
    for solution in (False, True):
        documents = [(f"{pid} seed {seed}{' solutions' if solution else ''}", "\\graderdocument\n" + tex_body(
                          [problem_view(inst, solution)], title=f"{pid} & co", solution=solution,
                          instructions="Answer **every** part; $\\gamma$ is a scale."))
                     for pid, seed, inst in instances]
        found += _overfull_lines(documents, tex_preamble(solution=solution))
    papers = [(f"{pid} seed {seed} paper", paper.run_body(
                  paper.paper_body([inst], [problem_view(inst, False, points=10)], job), None, job.exam_id, None))
              for pid, seed, inst in instances]
    found += _overfull_lines(papers, paper.preamble(job.exam_id, None))
    assert not found, "\n".join(found)


def test_prose_is_typeset_in_html_and_latex():
    from grader.markup import prose

    assert prose('the "data" token, scores -0.26 and x-1, M >= k, e.g. O(n)') == \
        "the \u201cdata\u201d token, scores \u22120.26 and x-1, M \u2265 k, e.g.\u00a0O(n)"
    html = markdown_to_html('A "quoted" word (e.g. -3), and `"code" -1` as typed.')
    assert "\u201cquoted\u201d" in html and "e.g.\u00a0\u22123" in html and '<code>&quot;code&quot; -1</code>' in html
    tex = markdown_to_latex("Try (e.g. -3) with M >= k.")
    assert "e.g.~\\ensuremath{-}3" in tex and "M \\ensuremath{\\ge} k" in tex


@pytest.mark.parametrize("tex, prefix", [("x = -0.5", 1), ("\\left[-1, -1\\right]", 2), ("-x + (a) - 2", 1), ("a - b", 0)])
def test_a_sign_in_mathml_is_set_tight_a_subtraction_is_not(tex, prefix):
    out = mathml(tex)
    assert out.count('form="prefix" lspace="0" rspace="0">\u2212<') == prefix
    assert out.count(">\u2212<") == tex.count("-")


def test_documents_show_inexact_answers_as_the_solutions_do():
    """One precision policy a part: the answer line shows inexact numbers to one figure more than
    the rule grades (4), as worked solutions do, not the key's 10 figures."""
    from grader.render import problem_view

    for problem_id in registry.ids():
        for seed in (1, 2):
            view = problem_view(registry.get(problem_id).instance(seed), True)
            for part in view["parts"]:
                for number in re.findall(r"\d+\.\d+", part["answer_text"] if part["type"] in ("number", "vector", "matrix") else ""):
                    assert len(number.replace(".", "").lstrip("0")) <= 4, (problem_id, seed, part["id"], number)
    view = problem_view(registry.get("diffpool").instance(2), True)
    link = next(part for part in view["parts"] if part["id"] == "link_loss")
    assert link["answer_text"] in link["solution"]


def test_terminal_text_never_prints_a_macro_name():
    from grader.markup import tex_to_text

    assert tex_to_text("\\underbrace{x}_{n} + \\boxed{3}") == "xₙ + 3"
    assert "underbrace" not in tex_to_text("\\underbrace{x + y}") and "foo" not in tex_to_text("\\foo + 1")
