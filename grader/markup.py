"""Markdown with $math$: splitting out the math, and LaTeX math as readable Unicode text."""
from __future__ import annotations

import re

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
            elif name in GREEK:
                out.append(GREEK[name])
            elif name in SYMBOLS:
                out.append(SYMBOLS[name])
            elif name in ("begin", "end"):
                _, i = _group(tex, i)
                out.append("[" if name == "begin" else "]")
            else:
                out.append(name)
        elif c in "^_":
            body, i = _group(tex, i + 1)
            text = tex_to_text(body)
            mapped = text.translate(SUP if c == "^" else SUB)
            if text and all(a != b for a, b in zip(mapped, text)):
                out.append(mapped)
            else:
                out.append(f"^{_wrap(text)}" if c == "^" else f"_{text}")
        elif c in "{}":
            i += 1
        elif c == "&":
            out.append(", ")
            i += 1
        else:
            out.append(c)
            i += 1
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _wrap(text: str) -> str:
    return text if re.fullmatch(r"[\w.′·αβγδεζηθλμνξπρστφχψω²³ᵀ⁻¹-]+", text) and not text.startswith("-") else f"({text})"


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


def filters() -> dict:
    """Jinja2 filters for templates: `mathtext` (LaTeX math as Unicode)."""
    return {"mathtext": tex_to_text}
