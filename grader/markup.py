"""Markdown with $math$: splitting out the math, and LaTeX math as readable Unicode text."""
from __future__ import annotations

import re
from functools import lru_cache

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ",
    "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ",
    "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ",
    "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω",
}
SYMBOLS = {
    "cdot": "·", "times": "×", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠",
    "neq": "≠", "in": "∈", "sum": "Σ", "prod": "Π", "partial": "∂", "nabla": "∇", "infty": "∞",
    "approx": "≈", "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "mid": "|",
    "ldots": "…", "dots": "…", "cdots": "⋯", "top": "T", "intercal": "T", "|": "‖", "quad": "  ",
    "qquad": "    ", "log": "log", "ln": "ln", "exp": "exp", "max": "max", "min": "min",
    "arg": "arg", "sqrt": "√", "prime": "′", "pm": "±", "sim": "∼", "forall": "∀", "emptyset": "∅",
    "cup": "∪", "cap": "∩", "subseteq": "⊆", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊",
    "rfloor": "⌋", "odot": "⊙", "otimes": "⊗", "circ": "∘", "star": "⋆", "ell": "ℓ",
    "operatorname": "", "argmin": "argmin", "argmax": "argmax",
}
SUP = str.maketrans("0123456789+-()=nTi", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾⁼ⁿᵀⁱ")
SUB = str.maketrans("0123456789+-()=aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎₌ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"}
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼"}


def split_math(text: str) -> list[tuple[str, str, bool]]:
    """Split markdown into ("text", s, False) and ("math", tex, display) pieces."""
    out, pos = [], 0
    for m in _MATH.finditer(text):
        if m.start() > pos:
            out.append(("text", text[pos:m.start()], False))
        display = m.group(1) is not None
        out.append(("math", (m.group(1) if display else m.group(2)).strip(), display))
        pos = m.end()
    if pos < len(text):
        out.append(("text", text[pos:], False))
    return out


def _group(s: str, i: int) -> tuple[str, int]:
    """The braced group or single token starting at s[i]; returns (content, next index)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
            j += 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i], i + 1


def tex_to_text(tex: str) -> str:
    """LaTeX math as plain Unicode for terminals: \\frac{a}{b} -> a/b, \\sigma -> σ, x^2 -> x²."""
    out, i = [], 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            name = m.group(1)
            i += len(m.group(0))
            if name in ("frac", "dfrac", "tfrac"):
                num, i = _group(tex, i)
                den, i = _group(tex, i)
                out.append(f"{_wrap(tex_to_text(num))}/{_wrap(tex_to_text(den))}")
                if i < len(tex) and (tex[i].isalnum() or tex[i] == "\\"):
                    out.append(" ")
            elif name == "sqrt":
                arg, i = _group(tex, i)
                out.append(f"√{_wrap(tex_to_text(arg))}")
            elif name in ACCENTS:
                arg, i = _group(tex, i)
                inner = tex_to_text(arg)
                out.append(inner + ACCENTS[name] if len(inner) == 1 else inner)
            elif name in ("mathbf", "mathrm", "text", "textbf", "mathit", "boldsymbol", "operatorname", "mathcal", "textit"):
                arg, i = _group(tex, i)
                out.append(tex_to_text(arg) if name != "text" else arg)
            elif name == "mathbb":
                arg, i = _group(tex, i)
                out.append(BLACKBOARD.get(arg, arg))
            elif name in ("left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", ",", ";", "!", " ", ":"):
                out.append(" " if name in (";", " ") else "")
            elif name in ("{", "}", "_", "%", "$", "#", "&"):
                out.append(name)
            elif name == "\\":
                out.append("; ")
            elif name in GREEK or name in ("partial", "nabla"):
                out.append(GREEK.get(name) or SYMBOLS[name])
                if tex[i:i + 1] == " ":  # LaTeX eats the space that ends a command: \partial L is ∂L
                    i += 1
            elif name in SYMBOLS:
                out.append(SYMBOLS[name])
            elif name == "begin":
                env, i = _group(tex, i)
                end = tex.find(f"\\end{{{env}}}", i)
                end = len(tex) if end < 0 else end
                out.append(_matrix_text(tex[i:end]))
                i = min(len(tex), end + len(f"\\end{{{env}}}"))
            elif name == "end":
                _, i = _group(tex, i)
            else:
                out.append(name)
        elif c in "^_":
            body, i = _group(tex, i + 1)
            text = tex_to_text(body)
            mapped = text.translate(SUP if c == "^" else SUB)
            # words stay legible (y_true); single letters and numbers become sub/superscripts
            short = len(text) <= 3 or all(ch in "0123456789+-()=" for ch in text)
            if text and short and all(a != b for a, b in zip(mapped, text)):
                out.append(mapped)
            elif c == "^":
                out.append(f"^{_wrap(text)}")
            else:
                out.append(f"_{text}" if re.fullmatch(r"\w+", text) else f"_({text})")
        elif c in "{}":
            i += 1
        elif c == "&":
            out.append(", ")
            i += 1
        else:
            out.append(c)
            i += 1
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _matrix_text(body: str) -> str:
    """A matrix environment's body as students type it: [[1, 2], [3, 4]]; a column as [1; 2]."""
    rows = [[tex_to_text(cell) for cell in row.split("&")] for row in re.split(r"\\\\", body) if row.strip()]
    if rows and all(len(row) == 1 for row in rows):
        return "[" + "; ".join(row[0] for row in rows) + "]"
    return "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"


def _balanced_parens(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i < len(text) - 1:
            return False
    return depth == 0


def _wrap(text: str) -> str:
    if text.startswith("(") and text.endswith(")") and _balanced_parens(text):
        return text
    return text if re.fullmatch(r"[\w.′·∂∇αβγδεζηθλμνξπρστφχψω²³ᵀ⁻¹-]+", text) and not text.startswith("-") else f"({text})"


def markdown_to_terminal_text(markdown: str) -> str:
    """Markdown with its $math$ turned into Unicode text, ready for rich.markdown."""
    pieces = []
    for kind, s, display in split_math(markdown):
        if kind == "text":
            pieces.append(s)
        elif display:
            pieces.append(f"\n\n    {tex_to_text(s)}\n\n")
        else:
            pieces.append(tex_to_text(s).replace("*", "\\*").replace("_", "\\_"))
    return "".join(pieces)


# -- documents: markdown with $math$ as HTML (MathML) and as LaTeX -------------------------------

_PLACEHOLDER = "XqMATH{}qX"
_PLACEHOLDER_RE = re.compile(r"XqMATH(\d+)qX")

# Characters that pdflatex cannot typeset from UTF-8 by itself, declared in the tex preamble
# (they work in text and in math mode alike).
UNICODE_TEX = {
    **{ch: f"\\{name}" for name, ch in GREEK.items() if name not in ("varepsilon", "varphi")},
    "ε": "\\epsilon", "φ": "\\phi", "−": "-", "×": "\\times", "·": "\\cdot", "≤": "\\le",
    "≥": "\\ge", "≠": "\\ne", "≈": "\\approx", "∈": "\\in", "→": "\\to", "←": "\\leftarrow",
    "⇒": "\\Rightarrow", "↔": "\\leftrightarrow", "∑": "\\sum", "∏": "\\prod", "∂": "\\partial",
    "∇": "\\nabla", "∞": "\\infty", "√": "\\surd", "±": "\\pm", "∼": "\\sim", "∀": "\\forall",
    "∅": "\\emptyset", "∪": "\\cup", "∩": "\\cap", "⊆": "\\subseteq", "⊙": "\\odot",
    "⊗": "\\otimes", "∘": "\\circ", "⋆": "\\star", "ℓ": "\\ell", "ℝ": "\\mathbb{R}",
    "ℕ": "\\mathbb{N}", "ℤ": "\\mathbb{Z}", "‖": "\\|", "⟨": "\\langle", "⟩": "\\rangle",
    "⌈": "\\lceil", "⌉": "\\rceil", "⌊": "\\lfloor", "⌋": "\\rfloor", "′": "\\prime",
    "…": "\\ldots", "⋯": "\\cdots", "ᵀ": "^{\\top}", "²": "^{2}", "³": "^{3}", "¹": "^{1}",
    "⁰": "^{0}", "⁻": "^{-}", "⁽": "^{(}", "⁾": "^{)}", "ⁿ": "^{n}", "ᵢ": "_{i}", "ⱼ": "_{j}",
    "ₖ": "_{k}", "ₙ": "_{n}", "₀": "_{0}", "₁": "_{1}", "₂": "_{2}", "₃": "_{3}",
    "✓": "\\checkmark", "✗": "\\times",
}
# Text-mode characters with no math meaning.
UNICODE_TEXT = {"–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "\u00a0": "~",
                "•": "\\textbullet{}", "└": "+", "├": "+", "─": "-", "│": "|"}

_TEX_SPECIAL = {"\\": "\\textbackslash{}", "{": "\\{", "}": "\\}", "$": "\\$", "&": "\\&",
                "#": "\\#", "^": "\\textasciicircum{}", "_": "\\_", "%": "\\%",
                "~": "\\textasciitilde{}", "<": "\\textless{}", ">": "\\textgreater{}",
                "|": "\\textbar{}"}


def unicode_tex_preamble() -> str:
    """\\DeclareUnicodeCharacter lines for the characters documents may carry (UNICODE_TEX)."""
    lines = [f"\\DeclareUnicodeCharacter{{{ord(ch):04X}}}{{\\ensuremath{{{tex}}}}}"
             for ch, tex in UNICODE_TEX.items()]
    lines += [f"\\DeclareUnicodeCharacter{{{ord(ch):04X}}}{{{tex}}}" for ch, tex in UNICODE_TEXT.items()
              if ord(ch) > 127 and ch != "\u00a0"]
    return "\n".join(lines)


def latex_escape(text: str) -> str:
    """Plain text as LaTeX text: special characters escaped; characters pdflatex cannot set
    from UTF-8 (outside Latin-1 and the declared ones) replaced by '?'."""
    out = []
    for ch in str(text):
        if ch in _TEX_SPECIAL:
            out.append(_TEX_SPECIAL[ch])
        elif ch in UNICODE_TEXT and ch != "\u00a0":
            out.append(UNICODE_TEXT[ch])
        elif ord(ch) < 0x250 or ch in UNICODE_TEX or ch == "\u00a0":
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _protect(markdown: str) -> tuple[str, list[tuple[str, bool, str]]]:
    """Markdown with each math span replaced by a placeholder the markdown parser leaves alone;
    returns it and the spans (tex, display, original source)."""
    spans, pieces = [], []
    for kind, s, display in split_math(markdown):
        if kind == "text":
            pieces.append(s)
        else:
            pieces.append(_PLACEHOLDER.format(len(spans)))
            spans.append((s, display, f"$${s}$$" if display else f"${s}$"))
    return "".join(pieces), spans


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    # Raw HTML and images are off: document text may carry parameters, and pages load nothing.
    return MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


@lru_cache(maxsize=4096)
def mathml(tex: str, display: bool = False) -> str:
    """LaTeX math as a MathML element. Every text node is escaped, whatever the LaTeX holds;
    LaTeX the converter cannot read gives a <code class="math-error"> with the source."""
    import html
    import xml.etree.ElementTree as ET

    from latex2mathml.converter import convert_to_element

    try:
        root = convert_to_element(tex, display="block" if display else "inline")
    except Exception:  # the converter raises many exception types on LaTeX it does not know
        return f'<code class="math-error">{html.escape(tex)}</code>'
    for element in root.iter():
        if element.text:
            element.text = html.unescape(element.text)
        if element.tail:
            element.tail = html.unescape(element.tail)
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


@lru_cache(maxsize=4096)
def markdown_to_html(markdown: str) -> str:
    """Markdown with $math$ as HTML: text escaped, math as MathML."""
    return _html(markdown, mathml)


def _tex_delimited(tex: str, display: bool) -> str:
    import html

    return f"\\[{html.escape(tex)}\\]" if display else f"\\({html.escape(tex)}\\)"


@lru_cache(maxsize=4096)
def markdown_to_html_tex(markdown: str) -> str:
    """Markdown with $math$ as HTML whose math stays LaTeX, escaped, between \\( \\) or \\[ \\]:
    for systems that typeset it themselves (Canvas, Moodle, PrairieLearn)."""
    return _html(markdown, _tex_delimited)


def _html(markdown: str, math_html) -> str:
    source, spans = _protect(markdown)
    tokens = _parser().parse(source)
    for token in tokens:
        for child in token.children or ():
            if child.type == "code_inline":  # math signs in code stay as typed
                child.content = _PLACEHOLDER_RE.sub(lambda m: spans[int(m.group(1))][2], child.content)
        if token.type in ("fence", "code_block"):
            token.content = _PLACEHOLDER_RE.sub(lambda m: spans[int(m.group(1))][2], token.content)
    out = _parser().renderer.render(tokens, _parser().options, {})

    def math(m):
        tex, display, _ = spans[int(m.group(1))]
        return math_html(tex, display)

    return _PLACEHOLDER_RE.sub(math, out).strip()


def _restore_source(text: str, spans) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: spans[int(m.group(1))][2], text)


def _latex_math(m: re.Match, spans) -> str:
    tex, display, _ = spans[int(m.group(1))]
    return f"\\[ {tex} \\]" if display else f"${tex}$"


def _latex_code(text: str) -> str:
    """Code as typewriter lines that keep their spaces and break nowhere else."""
    lines = [latex_escape(line).replace(" ", "\\ ") for line in text.rstrip("\n").split("\n")]
    return "\\par\\noindent{\\ttfamily\\small " + "\\\\\n".join(lines) + "}\\par\n"


_INLINE_TEX = {"em_open": "\\emph{", "em_close": "}", "strong_open": "\\textbf{", "strong_close": "}",
               "softbreak": "\n", "hardbreak": "\\\\\n"}
_BLOCK_TEX = {"bullet_list_open": "\\begin{itemize}\n", "bullet_list_close": "\\end{itemize}\n",
              "ordered_list_open": "\\begin{enumerate}\n", "ordered_list_close": "\\end{enumerate}\n",
              "list_item_open": "\\item ", "list_item_close": "\n",
              "blockquote_open": "\\begin{quote}\n", "blockquote_close": "\\end{quote}\n",
              "heading_open": "\\par\\medskip\\noindent\\textbf{", "heading_close": "}\\par\\nopagebreak\n",
              "hr": "\\par\\noindent\\rule{\\linewidth}{0.4pt}\\par\n",
              "thead_open": "", "thead_close": "\\hline\n", "tbody_open": "", "tbody_close": "",
              "tr_open": "", "tr_close": " \\\\\n", "th_close": "", "td_close": "",
              "table_close": "\\hline\n\\end{tabular}\\par\\medskip\n"}


_TEXT_MINUS = re.compile(r"(?<![\w.])[-−](?=\d)")  # a minus sign before a number, not a hyphen


def latex_text(text: str) -> str:
    """`latex_escape`, with a minus sign before a number set as a real minus, not a hyphen."""
    return _TEXT_MINUS.sub(r"\\ensuremath{-}", latex_escape(text))


def _inline_latex(children, spans) -> str:
    out, links = [], []
    for child in children:
        if child.type == "text":
            out.append(_PLACEHOLDER_RE.sub(lambda m: _latex_math(m, spans), latex_text(child.content)))
        elif child.type == "code_inline":
            out.append("\\texttt{" + latex_escape(_restore_source(child.content, spans)) + "}")
        elif child.type == "link_open":
            links.append(str(child.attrs.get("href", "")))
        elif child.type == "link_close":
            out.append(f" (\\texttt{{{latex_escape(links.pop())}}})")
        else:
            out.append(_INLINE_TEX.get(child.type, ""))
    return "".join(out)


@lru_cache(maxsize=4096)
def markdown_to_latex(markdown: str) -> str:
    """Markdown with $math$ as LaTeX body text: math passed through, text escaped."""
    source, spans = _protect(markdown)
    tokens = _parser().parse(source)
    out: list[str] = []
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "inline":
            out.append(_inline_latex(token.children or [], spans))
        elif kind == "paragraph_open":
            continue
        elif kind == "paragraph_close":
            out.append("\n" if token.hidden else "\n\n")
        elif kind in ("fence", "code_block"):
            out.append(_latex_code(_restore_source(token.content, spans)))
        elif kind == "table_open":
            columns = 0
            for later in tokens[i + 1:]:
                if later.type == "tr_close":
                    break
                columns += later.type == "th_open"
            out.append("\\par\\medskip\\noindent\\begin{tabular}{" + "l" * max(columns, 1) + "}\n\\hline\n")
        elif kind in ("th_open", "td_open"):
            prev = tokens[i - 1].type
            out.append("" if prev == "tr_open" else " & ")
        elif kind == "th_close":
            continue
        else:
            out.append(_BLOCK_TEX.get(kind, ""))
    return "".join(out).strip()


def _figure_caption_html(figure) -> str:
    caption = getattr(figure, "caption", "")
    return f"<figcaption>{markdown_inline_html(caption)}</figcaption>" if caption else ""


@lru_cache(maxsize=4096)
def markdown_inline_html(markdown: str) -> str:
    """One paragraph of markdown as HTML without the enclosing <p>."""
    out = markdown_to_html(markdown)
    return out[3:-4] if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1 else out


def figure_html(figure) -> str:
    """A figure as an HTML <figure>: inline SVG (escaped text where it has none) and caption."""
    import html

    body = figure.svg() if hasattr(figure, "svg") else f"<pre>{html.escape(figure.text())}</pre>"
    return f'<figure class="figure">{body}{_figure_caption_html(figure)}</figure>'


def figure_latex(figure) -> str:
    """A figure as LaTeX: centred TikZ (its text form where it has none) and caption."""
    body = figure.tikz() if hasattr(figure, "tikz") else _latex_code(figure.text())
    caption = getattr(figure, "caption", "")
    caption = f"\\\\[0.5ex]\n{{\\small {markdown_to_latex(caption)}}}" if caption else ""
    return f"\\begin{{center}}\n{body}{caption}\n\\end{{center}}"


def filters() -> dict:
    """Jinja2 filters: `mathtext` (LaTeX math as Unicode), `html`/`latex` (markdown with math
    as HTML or LaTeX), `latex_escape`, `figure_html`, `figure_latex`; the HTML ones are marked
    safe for autoescaping templates."""
    from markupsafe import Markup

    return {
        "mathtext": tex_to_text,
        "html": lambda s: Markup(markdown_to_html(s)),
        "inline_html": lambda s: Markup(markdown_inline_html(s)),
        "figure_html": lambda f: Markup(figure_html(f)),
        "latex": markdown_to_latex,
        "latex_escape": latex_escape,
        "figure_latex": figure_latex,
    }
