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


def math_spans(markdown: str) -> list[tuple[str, bool]]:
    """The math of markdown as the parser reads it (mdit-py-plugins' dollarmath): (tex,
    display) in order. `\\$5`, a `$` in code and `$5 and $10` are not math."""
    out = []
    for token in _parser().parse(markdown):
        if token.type == "math_block":
            out.append((token.content.strip(), True))
        for child in token.children or ():
            if child.type in _MATH_TOKENS:
                out.append((child.content.strip(), _MATH_TOKENS[child.type]))
    return out


def split_math(text: str) -> list[tuple[str, str, bool]]:
    """Split markdown into ("text", s, False) and ("math", tex, display) pieces, the math being
    what the parser reads as math (`math_spans`), found in the source in order."""
    out, pos = [], 0
    for tex, display in math_spans(text):
        fence = "$$" if display else "$"
        at = _find_math(text, tex, fence, pos)
        if at is None:
            continue
        start, end = at
        if start > pos:
            out.append(("text", text[pos:start], False))
        out.append(("math", tex, display))
        pos = end
    if pos < len(text):
        out.append(("text", text[pos:], False))
    return out


def _find_math(text: str, tex: str, fence: str, pos: int) -> tuple[int, int] | None:
    """Where `fence tex fence` (spaces allowed inside) next occurs from `pos`, not after a backslash."""
    pattern = re.compile(r"(?<!\\)" + re.escape(fence) + r"\s*" + re.escape(tex) + r"\s*" + re.escape(fence))
    m = pattern.search(text, pos)
    return (m.start(), m.end()) if m else None


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
                args = []
                while tex[i:i + 1] == "{":
                    arg, i = _group(tex, i)
                    args.append(arg)
                out.append(_fallback_text(name, tuple(args)))
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


@lru_cache(maxsize=1024)
def _fallback_text(name: str, args: tuple[str, ...]) -> str:
    """A macro the table above does not know, as pylatexenc reads it (\\underbrace{x} -> x,
    \\mathsf{A} -> 𝖠); never the macro's name."""
    from pylatexenc.latex2text import LatexNodes2Text

    source = "\\" + name + "".join("{" + arg + "}" for arg in args)
    try:
        text = LatexNodes2Text(math_mode="text", strict_latex_spaces=True).latex_to_text(source).strip()
    except Exception:  # pylatexenc raises its own parse errors on malformed input  # noqa: BLE001
        text = ""
    return text or " ".join(tex_to_text(arg) for arg in args)


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
    """Markdown with its $math$ turned into Unicode text, still Markdown (for rich.markdown or a
    page that shows math as text)."""
    pieces = []
    for kind, s, display in split_math(markdown):
        if kind == "text":
            pieces.append(s)
        elif display:
            pieces.append(f"\n\n    {tex_to_text(s)}\n\n")
        else:
            pieces.append(tex_to_text(s).replace("*", "\\*").replace("_", "\\_"))
    return "".join(pieces)


def terminal_markdown(markdown: str):
    """Markdown with $math$ as a rich Markdown renderable, the math as Unicode text (display
    math as an indented block)."""
    from markdown_it.token import Token
    from rich.markdown import Markdown

    tokens = []
    for token in _parser().parse(markdown):
        if token.type == "math_block":
            tokens.append(Token("code_block", "code", 0, content=tex_to_text(token.content) + "\n", block=True))
            continue
        for child in token.children or ():
            if child.type in _MATH_TOKENS:
                child.type, child.content = "text", tex_to_text(child.content)
            elif child.type == "text":
                child.content = prose(child.content)
        tokens.append(token)
    out = Markdown("")
    out.parsed = tokens
    return out


# -- documents: markdown with $math$ as HTML (MathML) and as LaTeX -------------------------------

_MATH_TOKENS = {"math_inline": False, "math_inline_double": True}  # token type -> display

# Characters set as math (in text they are math symbols: "σ", "≤", "ᵀ").
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
_WORDS = re.compile(r"([^\W_]+)")
LATIN = 0x250  # below: Latin-1 and Latin Extended-A/B, which the main font (Latin Modern) has


def _script(ch: str) -> str:
    """Which font a character needs: "cjk", "rtl", "latin" (the main font) or "other"."""
    import unicodedata

    code = ord(ch)
    if code < LATIN:
        return "latin"
    if (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0xFF00 <= code <= 0xFFEF or 0x1100 <= code <= 0x11FF or 0x20000 <= code <= 0x3FFFF):
        return "cjk"
    if unicodedata.bidirectional(ch) in ("R", "AL"):
        return "rtl"
    return "other"


def _escape_char(ch: str) -> str:
    if ch in _TEX_SPECIAL:
        return _TEX_SPECIAL[ch]
    if ch in UNICODE_TEXT:
        return UNICODE_TEXT[ch]
    if ch in UNICODE_TEX:
        return f"\\ensuremath{{{UNICODE_TEX[ch]}}}"
    return ch


def _pieces(text: str) -> list[tuple[str, str]]:
    """(font, LaTeX) pieces of plain text: a word goes whole into the font its letters need
    (a lone Greek letter is math), every other character on its own."""
    out = []
    for k, chunk in enumerate(_WORDS.split(text)):
        if k % 2:  # a word
            scripts = {_script(ch) for ch in chunk}
            if len(chunk) == 1 and chunk in UNICODE_TEX:
                out.append(("latin", _escape_char(chunk)))
            else:
                font = next((f for f in ("cjk", "rtl", "other") if f in scripts), "latin")
                out.append((font, chunk))
            continue
        for ch in chunk:
            font = _script(ch)
            plain = ch in _TEX_SPECIAL or ch in UNICODE_TEXT or ch in UNICODE_TEX or ch.isspace()
            out.append(("latin" if plain else font, _escape_char(ch)))
    return out


_FONT = {"cjk": "{{\\gradercjk {}}}", "rtl": "\\graderrtl{{{}}}", "other": "{{\\graderscript {}}}"}


def latex_escape(text: str) -> str:
    """Plain text (a title, a name from a roster) as LaTeX text: special characters escaped,
    math symbols as math, and words in other scripts in a font that has them (Cyrillic, Greek,
    Vietnamese in Noto Serif, Chinese, Japanese and Korean in Noto CJK, Arabic and Hebrew
    right to left); consecutive words of one script share one group."""
    pieces = _pieces(str(text))
    out, k = [], 0
    while k < len(pieces):
        font, tex = pieces[k]
        if font == "latin":
            out.append(tex)
            k += 1
            continue
        run, j = [tex], k + 1
        while j < len(pieces):
            if pieces[j][0] == font:
                run.append(pieces[j][1])
                j += 1
            elif pieces[j][1].isspace() and j + 1 < len(pieces) and pieces[j + 1][0] == font:
                run += [pieces[j][1], pieces[j + 1][1]]
                j += 2
            else:
                break
        out.append(_FONT[font].format("".join(run)))
        k = j
    return "".join(out)


_MATH_CHARS = re.compile("|".join(re.escape(ch) for ch in sorted(UNICODE_TEX, key=len, reverse=True)))


def math_unicode(tex: str) -> str:
    """LaTeX math with the Unicode symbols it may carry (σ, −, ≤) as commands the math fonts have."""
    def command(m):
        out = UNICODE_TEX[m.group(0)]
        return out + " " if out[-1].isalpha() else out  # \sigma x, not \sigmax

    return _MATH_CHARS.sub(command, tex)


@lru_cache(maxsize=2)
def _parser(math_html=None):
    """The Markdown parser; its math renders through `math_html(tex, display)` (MathML by default)."""
    from markdown_it import MarkdownIt

    from mdit_py_plugins.dollarmath import dollarmath_plugin

    # Raw HTML and images are off: document text may carry parameters, and pages load nothing.
    # Math: `$...$` (spaces allowed inside, not `$5 and $10`), `$$...$$` inline or as a block.
    parser = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    parser.use(dollarmath_plugin, allow_space=True, allow_digits=False, double_inline=True)
    for kind, display in dict(_MATH_TOKENS, math_block=True).items():
        parser.add_render_rule(kind, lambda renderer, tokens, idx, options, env, display=display:
                               (math_html or mathml)(tokens[idx].content.strip(), display) + ("\n" if display else ""))
    return parser


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
    _unary_minus(root)
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


_CLOSING = {")", "]", "}", "|", "‖", "′", "!"}


def _unary_minus(root) -> None:
    """A minus sign that starts a row or follows an operator (`= −0.5`, `[−1, −1]`) is a sign,
    set tight against its number; browsers would space it as a subtraction."""
    for parent in root.iter():
        previous = None
        for child in parent:
            if child.tag == "mo" and (child.text or "").strip() in ("−", "-", "+"):
                if previous is None or (previous.tag == "mo" and (previous.text or "").strip() not in _CLOSING):
                    child.set("form", "prefix")
                    child.set("lspace", "0")
                    child.set("rspace", "0")
            previous = child


@lru_cache(maxsize=4096)
def markdown_to_html(markdown: str) -> str:
    """Markdown with $math$ as HTML: text escaped (and typeset, `prose`), math as MathML."""
    return _html(markdown, None)


def _tex_delimited(tex: str, display: bool) -> str:
    import html

    return f"\\[{html.escape(tex)}\\]" if display else f"\\({html.escape(tex)}\\)"


@lru_cache(maxsize=4096)
def markdown_to_html_tex(markdown: str) -> str:
    """Markdown with $math$ as HTML whose math stays LaTeX, escaped, between \\( \\) or \\[ \\]:
    for systems that typeset it themselves (Canvas, Moodle, PrairieLearn)."""
    return _html(markdown, _tex_delimited)


def _html(markdown: str, math_html) -> str:
    parser = _parser(math_html)
    tokens = parser.parse(markdown)
    for token in tokens:
        for child in token.children or ():
            if child.type == "text":
                child.content = prose(child.content)
    return parser.renderer.render(tokens, parser.options, {}).strip()


def _latex_math(tex: str, display: bool) -> str:
    tex = math_unicode(tex.strip())
    return f"\\[ {tex} \\]" if display else f"${tex}$"


KEEP_TOGETHER = 25  # lines: a listing or list up to this long is never split, nor cut from its lead-in


def _unbreakable(body: str) -> str:
    """`body` kept on one page and on the page of the paragraph before it (the preamble's
    `graderkeep`, which a solution's frame, where nothing can move to the next page, lets break)."""
    return "\\begin{graderkeep}\n" + body + "\\end{graderkeep}\n"


def _latex_code(text: str) -> str:
    """Code as typewriter lines that keep their spaces and break nowhere else; a short listing
    stays with its lead-in."""
    lines = [latex_escape(line).replace(" ", "\\ ") for line in text.rstrip("\n").split("\n")]
    code = "{\\ttfamily\\small " + "\\\\\n".join(lines) + "}"
    return _unbreakable(code + "\n") if len(lines) <= KEEP_TOGETHER else "\\par\\noindent" + code + "\\par\n"


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


_MINUS = re.compile(r"(?<![\w.\-])-(?=\.?\d)")  # a minus sign before a number, not a hyphen


def minus_signs(text: str) -> str:
    """Hyphens that are minus signs (before a number: −0.26, [2, −1]) as minus signs."""
    return _MINUS.sub("\u2212", text)


_PROSE = (
    (_MINUS, "\u2212"),
    (re.compile(r'"([^"\n]*)"'), "\u201c\\1\u201d"),  # "data" -> “data”
    (re.compile(r"(?<=\w)'(?=\w)"), "\u2019"),  # decoder's
    (re.compile(r"(?<= )>=(?= )"), "\u2265"), (re.compile(r"(?<= )<=(?= )"), "\u2264"),
    (re.compile(r"(?<= )!=(?= )"), "\u2260"),
    (re.compile(r"\b(e\.g|i\.e|cf)\. "), "\\1.\u00a0"),  # e.g. and its example: a normal space, no break
)


def prose(text: str) -> str:
    """Plain text as typeset prose: minus signs before numbers, curly quotes, ≥ for `>=`, and
    a no-break space after "e.g." (code and math never pass through here)."""
    for pattern, replacement in _PROSE:
        text = pattern.sub(replacement, text)
    return text


def latex_text(text: str) -> str:
    """`prose` as LaTeX text (`latex_escape`)."""
    return latex_escape(prose(text))


def _list_items(tokens, start: int) -> int:
    """The items of the list opening at tokens[start] (0 if it holds a nested list)."""
    level, items = tokens[start].level, 0
    for token in tokens[start + 1:]:
        if token.level == level and token.type.endswith("_list_close"):
            return items
        if token.type.endswith("_list_open"):
            return 0
        items += token.type == "list_item_open"
    return 0


def _inline_latex(children) -> str:
    out, links = [], []
    for child in children:
        if child.type == "text":
            out.append(latex_text(child.content))
        elif child.type in _MATH_TOKENS:
            out.append(_latex_math(child.content, _MATH_TOKENS[child.type]))
        elif child.type == "code_inline":
            out.append("\\texttt{" + latex_escape(child.content) + "}")
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
    tokens = _parser().parse(markdown)
    out: list[str] = []
    together: list[bool] = []  # per open list: kept on one page
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "inline":
            out.append(_inline_latex(token.children or []))
        elif kind == "paragraph_open":
            continue
        elif kind == "paragraph_close":
            out.append("\n" if token.hidden else "\n\n")
        elif kind in ("fence", "code_block"):
            out.append(_latex_code(token.content))
        elif kind == "math_block":
            out.append(_latex_math(token.content, True) + "\n")
        elif kind in ("bullet_list_open", "ordered_list_open"):
            items = _list_items(tokens, i)
            together.append(0 < items <= KEEP_TOGETHER)
            out.append(("\\begin{graderkeep}\n" if together[-1] else "")
                       + _BLOCK_TEX[kind])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            out.append(_BLOCK_TEX[kind] + ("\\end{graderkeep}\n" if together.pop() else ""))
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
        "latex_text": latex_text,
        "prose": prose,
        "figure_latex": figure_latex,
    }
