"""Safe parsing of what students type: ASCII math and LaTeX, read against an allow-list.

Nothing here evaluates student text. A tokenizer turns the answer into a short list of tokens
(numbers, names, operators, a few LaTeX commands); a Pratt parser reads them and asks a
*builder* to construct the result, so the grammar lives in one place and serves both scalar
expressions (SymPy objects, `SympyBuilder`) and matrix expressions (see `matrix_expr`).
Every size that could make the work explode (length, nesting, exponents, integer literals,
node count) is checked before anything expensive is built.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Iterable

from grader.answers.limits import DEFAULT_LIMITS, BuildError, Limits
from grader.answers.tree import GREEK, TreeBuilder
from grader.errors import AnswerParseError

# Built-in functions: spelling -> (canonical name, allowed numbers of arguments).
_ONE = (1,)
BUILTIN_FUNCTIONS: dict[str, tuple[str, tuple[int, ...] | None]] = {
    **{f: (f, _ONE) for f in (
        "exp sqrt abs sin cos tan sec csc cot asin acos atan sinh cosh tanh asinh acosh atanh "
        "sigmoid softplus relu"
    ).split()},
    "log": ("log", (1, 2)),
    "ln": ("log", _ONE),
    "lg": ("log10", _ONE),
    "max": ("max", None),
    "min": ("min", None),
    **{f"arc{f}": (f"a{f}", _ONE) for f in "sin cos tan sinh cosh tanh".split()},
    "arsinh": ("asinh", _ONE), "arcosh": ("acosh", _ONE), "artanh": ("atanh", _ONE),
}
CONSTANTS = ("e", "pi")
_NOT_FINITE = {"nan", "inf", "infinity", "oo"}

_GREEK = GREEK
_GREEK_LETTERS = dict(zip("αβγδεζηθικλμνξοπρστυφχψω", _GREEK))
_GREEK_LETTERS.update({"ς": "sigma", "ϕ": "phi", "ϵ": "epsilon", "ϑ": "theta"})
_GREEK_LETTERS.update({c: n.capitalize() for c, n in zip("ΓΔΘΛΞΠΣΥΦΨΩ", (
    "gamma delta theta lambda xi pi sigma upsilon phi psi omega").split())})
_UNICODE = {
    "−": "-", "–": "-", "‐": "-", "·": "*", "⋅": "*", "×": "*", "∗": "*", "÷": "/",
    "′": "'", "’": "'", "″": "''", "‴": "'''", "⊤": "\\top ", "√": "\\sqrt ",
    "\u00a0": " ", "∞": "\\infty ",
}
_LATEX_NAMES = {g: g for g in _GREEK}
_LATEX_NAMES.update({g.capitalize(): g.capitalize() for g in _GREEK})
_LATEX_NAMES.update({"varepsilon": "epsilon", "varphi": "phi", "vartheta": "theta",
                     "varsigma": "sigma", "varrho": "rho", "varpi": "pi"})
_LATEX_FUNCTIONS = set(BUILTIN_FUNCTIONS) - {"abs", "sigmoid", "softplus", "relu", "sqrt"}
_LATEX_OPS = {"cdot": "*", "times": "*", "ast": "*", "div": "/"}
_LATEX_SPACES = {"quad", "qquad", "displaystyle", "textstyle", "limits", "nolimits"}
_LATEX_DELIMS = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "biggl", "biggr"}
_LATEX_WRAPPERS = {"mathrm", "mathit", "mathbf", "boldsymbol", "operatorname", "text",
                   "textrm", "mathsf", "bm"}
_LATEX_ACCENTS = {"hat": "hat", "bar": "bar", "tilde": "tilde", "vec": "vec", "dot": "dot"}
_FORBIDDEN_HINTS = {
    "=": "comparisons and equations are not allowed; type only the expression",
    "<": "comparisons are not allowed", ">": "comparisons are not allowed",
    "!": "'!' is not allowed (there are no factorials or negations here)",
    ".": "'.' may only appear inside a decimal number",
    "[": "square brackets are not allowed in an expression; use ( )",
    "]": "square brackets are not allowed in an expression; use ( )",
    "_": "a name must start with a letter",
}


# A token: (kind, value, pos, end, alts), kind "num", "name", "op", "cmd" or "end"; pos and end
# index the original text (the normalised text while the tokenizer reads); alts are other
# spellings of a name (x_hat: xhat, hat_x).
Token = tuple


def _fail(message: str, text: str, position: int) -> AnswerParseError:
    return AnswerParseError(message, text, position)


_SCRIPTS = {**{c: ("^", d) for c, d in zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾ᵀ", "0123456789-+()T")},
            **{c: ("_", d) for c, d in zip("₀₁₂₃₄₅₆₇₈₉ᵢⱼₖ", "0123456789ijk")}}
_SPECIAL = re.compile(r"[^ -~]+")  # what is not
_SPACES = str.maketrans("\t\n\r\f\v", "     ")
_CONTROL_SPACE = re.compile("[\t\n\r\f\v]")


def _normalise(text: str, limits: Limits) -> tuple[str, Any]:
    """Map unicode math to ASCII/LaTeX and refuse hidden or control characters.

    Returns the new string and, for each of its characters, the index in `text` it came from
    (None where the text is printable ASCII, kept as it is). Unicode scripts become LaTeX
    groups: x² -> x^{2}, (AᵀA)⁻¹ -> (A^{T}A)^{-1}, x₁ -> x_{1}.
    """
    if len(text) > limits.max_chars:
        raise _fail(f"the answer is {len(text)} characters long; the limit is {limits.max_chars}",
                    text, limits.max_chars)
    if "$" in text:
        stripped = text.strip()
        if len(stripped) >= 2 and stripped[0] == "$" and stripped[-1] == "$":
            text = text.replace("$", " ")  # math delimiters pasted from a document
    if text.isascii() and text.isprintable():  # printable ASCII and spaces only
        return text, None
    spaced = text.translate(_SPACES) if _CONTROL_SPACE.search(text) else text  # translate is slow here
    out: list[str] = []
    where: list[int] = []
    script = ""  # the kind of script group open, "^" or "_"
    done = 0  # text[:done] is mapped
    for m in _SPECIAL.finditer(spaced):
        start = m.start()
        if start > done:  # a run of plain characters closes an open script group
            if script:
                out.append("}")
                where.append(done)
                script = ""
            out.append(spaced[done:start])
            where.extend(range(done, start))
        for i in range(start, m.end()):
            script = _special(text, i, script, out, where)
        done = m.end()
    if script and done < len(text):
        out.append("}")
        where.append(done)
        script = ""
    out.append(spaced[done:])
    where.extend(range(done, len(text)))
    if script:
        out.append("}")
        where.append(len(text))
    where.append(len(text))
    return "".join(out), where


def _special(text: str, i: int, script: str, out: list, where: list) -> str:
    """Map the character text[i] (not printable ASCII) onto `out`; returns the script group open."""
    c = text[i]
    if c == "\x00":
        raise _fail("the answer contains a NUL byte", text, i)
    category = unicodedata.category(c)
    if category == "Cf":
        raise _fail(f"the answer contains an invisible formatting character "
                    f"U+{ord(c):04X} ({unicodedata.name(c, 'unnamed')})", text, i)
    if c in "\t\n\r\f\v":
        c = " "
    elif category == "Cc":
        raise _fail(f"the answer contains a control character U+{ord(c):04X}", text, i)
    kind, mark = _SCRIPTS.get(c, ("", ""))
    if script and kind != script:
        out.append("}")
        where.append(i)
        script = ""
    if kind:
        rep = mark if script else f"{kind}{{{mark}"
        script = kind
    elif c in _GREEK_LETTERS:
        name = _GREEK_LETTERS[c]
        glued = i + 1 < len(text) and (text[i + 1] in "_'′" or text[i + 1].isdigit() or text[i + 1] in _SCRIPTS)
        rep = (name if out and out[-1].endswith("_") else f" {name}") + ("" if glued else " ")
    else:
        rep = _UNICODE.get(c, c)
    if len(rep) == 1 and ord(rep) > 127:
        raise _fail(f"unexpected character {c!r}", text, i)
    out.append(rep)
    where.extend([i] * len(rep))
    return script


_OPS = frozenset("+-/(){},'|")  # and * where no ** follows
_OP_VALUES = _OPS | {"*", "^", "[", "]"}  # of every "op" token
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_WORD_CHARS = _LETTERS | _DIGITS | {"_"}  # what may follow the first letter of a name
_NUMBER_TAIL = frozenset(".eE")  # what makes digits the start of a decimal number
_DIGIT_VALUES = {d: (int(d), 1) for d in "0123456789"}
_PLAIN_EXPONENT = _LETTERS | _DIGITS | {"("}  # after ^, the start of a script that is no prime
_IMPLICIT = 20  # the binding power of a product of factors side by side
# binary operators: builder method, left binding power, binding power of the right operand
_BINARY = {"+": ("add", 10, 10), "-": ("sub", 10, 10), "*": ("mul", 20, 20), "/": ("div", 20, 20),
           "^": ("pow", 30, 29)}
_LOG_BASE = re.compile(r"log_(\d+|[A-Za-z]\w*)")
_NUMBER = re.compile(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_SUBSCRIPT = re.compile(r"[A-Za-z0-9]+")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")  # a word with plain subscripts
_BRACED_SUBSCRIPT = re.compile(r"\{([A-Za-z0-9_]+)\}")
_BRACES = {"{": 1, "}": -1}
_WRAPPER_IN_SUBSCRIPT = re.compile(r"\\(?:text|textrm|mathrm|mathit|operatorname)\s*")
_COMMAND_IN_SUBSCRIPT = re.compile(r"\\([A-Za-z]+)")
_GROUPING = re.compile(r"[\s{}]")
_SUBSCRIPT_TEXT = re.compile(r"[A-Za-z0-9_]+")
_PLAIN_BASE = re.compile(r"[A-Za-z0-9 ]*")  # a log base read as a name or number
_PRIMES = re.compile(r"(\s*(\\prime|')\s*)+")
_BRACED_NAME = re.compile(r"\\?[A-Za-z][A-Za-z0-9_ ]*")
_COMMAND = re.compile(r"[A-Za-z]+")
_NAME_DIGITS = re.compile(r"([A-Za-z]+)_?(\d+)")


class _Tokenizer:
    def __init__(self, original: str, limits: Limits, known: frozenset = frozenset()):
        """`known`: words never split into a product (see `_names`)."""
        self.original = original
        self.limits = limits
        self.known = known
        self.s, self.where = _normalise(original, limits)
        self.open_brackets = 0
        self.bare: set[int] = set()  # where a bare \\frac argument (one digit or letter) starts
        self.skip: dict[int, int] = {}  # spans already read (a subscript written after a power)
        self.words: list[int] = []  # where the tokens of other words of two or more letters are

    def error(self, message: str, i: int) -> AnswerParseError:
        i = min(i, len(self.s))
        return _fail(message, self.original, i if self.where is None else self.where[i])

    def tokens(self) -> list[Token]:
        s, i, out, n = self.s, 0, [], len(self.s)
        chars = [*s, ""]  # indexing a list costs less than a string; "" marks the end
        skip, bare, words, known = self.skip, self.bare, self.words, self.known
        append, name = out.append, _NAME.match
        max_digits = self.limits.max_digits
        while i < n:
            c = chars[i]
            if c in _OPS:
                append(("op", c, i, i + 1, ()))
                i += 1
            elif c == " ":
                i += 1
            elif skip and i in skip:  # at an underscore
                i = skip[i]
            elif bare and i in bare:
                append(("num", (int(c), 1), i, i + 1, ()) if c.isdigit() else ("name", c, i, i + 1, ()))
                i += 1
            elif c in _LETTERS:
                if chars[i + 1] not in _WORD_CHARS:  # a one-letter name (a pattern match costs more)
                    append(("name", c, i, i + 1, ()))
                    i += 1
                    continue
                m = name(s, i)
                j = m.end()
                if chars[j] == "_":  # subscripts in braces, log_{...}
                    m = _WORD.match(s, i)
                    i = self.word(m.group(), i, m.end(), out)
                else:  # a word, maybe with plain subscripts (y_pred, C_i), as `word` reads it
                    word = m.group()
                    append(("name", word, i, j, ()))
                    if j - i > 1 and word not in known:
                        words.append(len(out) - 1)
                    i = j
            elif c in _DIGITS or (c == "." and chars[i + 1] in _DIGITS):
                j = i + 1
                while chars[j] in _DIGITS:
                    j += 1
                if c != "." and chars[j] not in _NUMBER_TAIL and j - i <= max_digits:  # an integer
                    append(("num", _DIGIT_VALUES[c] if j == i + 1 else (int(s[i:j]), 1), i, j, ()))
                    i = j
                else:
                    tok, i = self.number(i)
                    append(tok)
            elif c == "\\":
                i = self.command(i, out)
            elif c == "*" and chars[i + 1] != "*":
                append(("op", c, i, i + 1, ()))
                i += 1
            elif c == "^" or c == "*":
                i = self.power(i, out)
            elif c == "]" and self.open_brackets:
                self.open_brackets -= 1
                append(("op", c, i, i + 1, ()))
                i += 1
            else:
                raise self.error(_FORBIDDEN_HINTS.get(c, f"unexpected character {c!r}"), i)
        append(("end", None, n, n, ()))
        where = self.where
        if where is not None:  # positions in the original text
            out = [(kind, value, where[i], where[j], alts) for kind, value, i, j, alts in out]
        return out

    def number(self, i: int) -> tuple[Token, int]:
        """A decimal number (`tokens` reads plain integers), or an integer of too many digits."""
        m = _NUMBER.match(self.s, i)
        whole, frac, exp = m.group(1), m.group(2) or "", m.group(3)
        end = m.end()
        if exp is None and end < len(self.s) and self.s[end] in "eE" and m.group(0)[-1:] in "eE":
            end -= 1  # "2e" is 2 times e
        digits = (whole + frac).lstrip("0")
        if len(digits) > self.limits.max_digits:
            raise self.error(f"a number has more than {self.limits.max_digits} digits", i)
        power = int(exp) if exp else 0
        if abs(power) > 4 * self.limits.max_digits:
            raise self.error("a number's exponent is too large", i)
        num, den = int(whole + frac or "0"), 10 ** len(frac)
        if power >= 0:
            num *= 10 ** power
        else:
            den *= 10 ** -power
        return ("num", (num, den), i, end, ()), end

    def word(self, word: str, i: int, j: int, out: list[Token]) -> int:
        """A name with its subscripts; `log_{...}` with a base that is not a plain name."""
        s = self.s
        if word == "log" and s.startswith("_{", j):
            close = self.group_end(j + 1)
            if close is not None and not _PLAIN_BASE.fullmatch(s[j + 2:close]):
                out.append(("cmd", "logbase", i, j + 1, ()))
                return j + 1
        name, k = self.subscripts(word, j)
        self.name_token(name, i, k, out)
        return k

    def name_token(self, name: str, i: int, k: int, out: list[Token]) -> None:
        """A name token; the parser may split a word of several letters (see `split_juxtaposed`)."""
        if len(name) > 1 and name not in self.known:
            self.words.append(len(out))
        out.append(("name", name, i, k, ()))

    def group_end(self, j: int) -> int | None:
        """The index of the brace closing the group opened at `j`, or None."""
        depth = 0
        for k in range(j, len(self.s)):
            depth += _BRACES.get(self.s[k], 0)
            if depth == 0:
                return k
        return None

    def script_end(self, j: int) -> int:
        """Where a TeX script argument starting at `j` ends: a group, a command or one character."""
        s = self.s
        while j < len(s) and s[j] == " ":
            j += 1
        if j < len(s) and s[j] == "{":
            close = self.group_end(j)
            return len(s) if close is None else close + 1
        if j < len(s) and s[j] == "\\":
            m = _WORD.match(s, j + 1)
            return m.end() if m else j + 2
        if j < len(s) and s[j] in "-+":  # x^-1, as students type it
            return self.script_end(j + 1)
        return min(j + 1, len(s))

    def power(self, i: int, out: list[Token]) -> int:
        """`^` or `**`: primes written as a power (f^{\\prime}), and a subscript written after the
        power (x^2_i, \\sigma^2_i) moved onto the name."""
        s = self.s
        if s[i] == "^" and s[i + 1:i + 2] in _PLAIN_EXPONENT and s[i + 2:i + 3] != "_":  # x^2, e^(...)
            out.append(("op", "^", i, i + 1, ()))
            return i + 1
        j = i + (2 if s.startswith("**", i) else 1)
        end = self.script_end(j)
        inner = s[j:end].strip().strip("{}")
        if _PRIMES.fullmatch(inner):
            for _ in range(inner.count("\\prime") + inner.count("'")):
                out.append(("op", "'", i, end, ()))
            return end
        if s[i] == "^" and end < len(s) and s[end] == "_" and out and out[-1][0] == "name" \
                and out[-1][3] == i:
            name, k = self.subscripts(out[-1][1], end)
            last = out[-1]
            out[-1] = ("name", name, last[2], last[3], last[4])
            self.skip[end] = k
        out.append(("op", "^", i, j, ()))
        return j

    def subscripts(self, name: str, j: int) -> tuple[str, int]:
        """Glue `_i`, `_{i}`, `_{\\text{true}}` onto a name: y_{pred} -> y_pred."""
        s = self.s
        while j < len(s) and s[j] == "_":
            plain = _BRACED_SUBSCRIPT.match(s, j + 1)
            if plain:  # _{i}, _{pred}
                name, j = f"{name}_{plain.group(1)}", plain.end()
            elif j + 1 < len(s) and s[j + 1] == "{":
                close = self.group_end(j + 1)
                if close is None:
                    close = len(s)
                sub = _WRAPPER_IN_SUBSCRIPT.sub("", s[j + 2:close])
                sub = _COMMAND_IN_SUBSCRIPT.sub(lambda m: _LATEX_NAMES.get(m.group(1), "?"), sub)
                sub = _GROUPING.sub("", sub)
                if close >= len(s) or not _SUBSCRIPT_TEXT.fullmatch(sub):
                    raise self.error("a subscript may only hold letters and digits", j)
                name, j = f"{name}_{sub}", close + 1
            else:
                m = _SUBSCRIPT.match(s, j + 1)
                if not m:
                    raise self.error("empty subscript after '_'", j)
                name, j = f"{name}_{m.group()}", m.end()
        return name, j

    def braced_word(self, j: int) -> tuple[str, int]:
        """The argument of \\mathrm{...}, \\hat{...}: a word in braces or a single letter."""
        s = self.s
        while j < len(s) and s[j] == " ":
            j += 1
        if j < len(s) and s[j] == "{":
            close = s.find("}", j)
            inner = s[j + 1:close].replace("\\_", "_").strip() if close > 0 else ""
            if not _BRACED_NAME.fullmatch(inner):
                raise self.error("expected a name in braces", j)
            inner = inner.lstrip("\\").replace(" ", "")
            return _LATEX_NAMES.get(inner, inner), close + 1
        if j < len(s) and s[j].isascii() and s[j].isalpha():
            return s[j], j + 1
        if j < len(s) and s[j] == "\\":
            m = _WORD.match(s, j + 1)
            if m and m.group() in _LATEX_NAMES:
                return _LATEX_NAMES[m.group()], m.end()
        raise self.error("expected a name", j)

    def bare_arguments(self, j: int) -> None:
        """As TeX reads \\frac: an argument without braces is one digit, letter or command
        (\\frac94\\pi is 9π/4, \\frac12y is y/2)."""
        s = self.s
        for _ in range(2):
            while j < len(s) and s[j] == " ":
                j += 1
            if j >= len(s):
                return
            if s[j] in "{\\":
                j = self.script_end(j)
            elif s[j].isascii() and s[j].isalnum():
                self.bare.add(j)
                j += 1
            else:
                return

    def command(self, i: int, out: list[Token]) -> int:
        s = self.s
        m = _COMMAND.match(s, i + 1)
        if not m:
            nxt = s[i + 1:i + 2]
            if nxt in (",", ";", ":", "!", " "):
                return i + 2
            if nxt and nxt in "{}":
                out.append(("op", nxt, i, i + 2, ()))
                return i + 2
            raise self.error(f"unexpected '\\{nxt}'" if nxt else "a lone backslash", i)
        cmd, j = m.group(), m.end()
        if cmd in _LATEX_DELIMS:
            while j < len(s) and s[j] == " ":
                j += 1
            d = s[j:j + 1]
            if s.startswith("\\{", j) or s.startswith("\\}", j):
                d, j = "(" if s[j + 1] == "{" else ")", j + 2
            elif d in ("(", ")", "|", "."):
                j += 1
            elif d == "[" or d == "]":
                d, j = "(" if d == "[" else ")", j + 1
            elif s.startswith("\\lvert", j) or s.startswith("\\rvert", j) or s.startswith("\\vert", j):
                d, j = "|", _WORD.match(s, j + 1).end()
            else:
                raise self.error(f"\\{cmd} must be followed by a bracket", j)
            if d != ".":
                out.append(("op", d, i, j, ()))
            return j
        if cmd in _LATEX_OPS:
            out.append(("op", _LATEX_OPS[cmd], i, j, ()))
        elif cmd in ("lvert", "rvert", "vert", "mid"):
            out.append(("op", "|", i, j, ()))
        elif cmd in _LATEX_SPACES:
            pass
        elif cmd in ("frac", "dfrac", "tfrac", "cfrac", "sqrt"):
            out.append(("cmd", "sqrt" if cmd == "sqrt" else "frac", i, j, ()))
            if cmd != "sqrt":
                self.bare_arguments(j)
            k = j
            while k < len(s) and s[k] == " ":
                k += 1
            if cmd == "sqrt" and s[k:k + 1] == "[":
                out.append(("op", "[", k, k + 1, ()))
                self.open_brackets += 1
                return k + 1
        elif cmd in _LATEX_NAMES or cmd in _LATEX_FUNCTIONS or cmd == "top":
            return self.word(_LATEX_NAMES.get(cmd, cmd), i, j, out)
        elif cmd in _LATEX_WRAPPERS:
            word, k = self.braced_word(j)
            name, k = self.subscripts(word, k)
            self.name_token(name, i, k, out)
            return k
        elif cmd in _LATEX_ACCENTS:
            word, k = self.braced_word(j)
            accent = _LATEX_ACCENTS[cmd]
            name, k = self.subscripts(f"{word}_{accent}", k)
            alts = (f"{word}{accent}", f"{accent}_{word}")
            out.append(("name", name, i, k, alts))
            return k
        elif cmd == "infty":
            raise self.error("infinity is not allowed", i)
        else:
            raise self.error(f"the LaTeX command \\{cmd} is not allowed", i)
        return j


@lru_cache(maxsize=16)
def _common_methods(builder: type) -> tuple:
    """A builder class's functions for the common nodes, as `_Parser.expr` calls them (with the
    builder as first argument): + - * / ^ with their binding powers, product, number, symbol."""
    binary = dict.fromkeys(_OP_VALUES)  # None for the other operators: looked up without .get
    binary.update({op: (getattr(builder, method), bp, right) for op, (method, bp, right) in _BINARY.items()})
    return binary, builder.mul, builder.number, builder.symbol


class _Parser:
    """Pratt parser over the token list; `builder` constructs the result."""

    def __init__(self, text, tokens, words, builder, names, limits):
        """`words`: where in `tokens` the names of two or more characters that are not declared
        or built-in names are; `names`: see `_names`."""
        self.text, self.b = text, builder
        variables, functions, self.plain, _ = names
        self.variables, self.functions, self.limits = variables, functions, limits
        self.toks = tokens
        self.max_depth = limits.max_depth
        for k in reversed(words):
            tokens[k:k + 1] = self.split_juxtaposed(tokens[k])
        self.i = 0
        self.depth = 0
        self.abs_depth = 0
        self.budget = limits.max_nodes  # nodes that may still be built
        self.binary, self.mul, self.number, self.symbol = _common_methods(type(builder))

    def split_juxtaposed(self, tok: Token) -> list[Token]:
        """An undeclared run of letters made of declared one-letter names (or the builder's,
        such as T for transpose) and built-in function names is their product: TkM, A^TA,
        TkMlogM. A letter whose other case is declared counts as that one (see `letter`).
        The tokenizer keeps only words that are not declared or built-in names for it."""
        word = tok[1]
        if tok[0] != "name" or len(word) < 2 or not word.isascii() or not word.isalpha():
            return [tok]
        if word.lower() in BUILTIN_FUNCTIONS or word in CONSTANTS:
            return [tok]
        letters = self.variables | set(getattr(self.b, "letters", ()))
        pieces = _segment(word, letters, self.variables)
        if pieces is None:
            return [tok]
        out, k = [], 0
        for piece in pieces:
            out.append(("name", piece, tok[2] + k, tok[2] + k + len(piece), ()))
            k += len(piece)
        return out

    # -- helpers
    def note(self, message: str) -> None:
        """Tell the answer type how something was read (it may say so in the feedback)."""
        notes = getattr(self.b, "notes", None)
        if notes is not None and message not in notes:
            notes.append(message)

    def peek(self) -> Token:
        return self.toks[self.i]

    def error(self, message: str, tok: Token | None = None) -> AnswerParseError:
        return _fail(message, self.text, (tok or self.peek())[2])

    def expect(self, value: str, opener: Token) -> None:
        tok = self.toks[self.i]
        if tok[0] == "op" and tok[1] == value:
            self.i += 1
            return
        if tok[0] == "end":
            raise self.error(f"missing {value!r} to close the {opener[1]!r} opened here", opener)
        raise self.error(f"expected {value!r}, found {describe(tok)}", tok)

    def build(self, tok: Token, method: str, *args):
        """The builder's node for `tok` (`expr` does the same inline for the common nodes)."""
        self.budget -= 1
        if self.budget < 0:
            raise self.too_long(tok)
        try:
            return getattr(self.b, method)(*args)
        except BuildError as exc:
            raise self.error(str(exc), tok) from None

    def too_long(self, tok: Token) -> AnswerParseError:
        return self.error(f"the answer is too long (more than {self.limits.max_nodes} terms)", tok)

    def too_deep(self) -> AnswerParseError:
        return self.error(f"the answer is nested more than {self.limits.max_depth} levels deep")

    def starts_operand(self, tok: Token) -> bool:
        if tok[0] in ("num", "name", "cmd"):
            return True
        return tok[0] == "op" and (tok[1] in "({" or (tok[1] == "|" and not self.abs_depth))

    # -- grammar
    def parse(self):
        if self.toks[self.i][0] == "end":
            raise self.error("the answer is empty")
        node = self.expr(0)
        tok = self.toks[self.i]
        if tok[0] != "end":
            raise self.error(f"unexpected {describe(tok)}", tok)
        return node

    def expr(self, rbp: int):
        """An expression of operators binding tighter than `rbp`. The right operands of + - * / ^
        and of products, and groups in ( ) or { }, are read in this loop (`pending` holds the
        operators waiting for their right operand and the groups waiting for their closing
        bracket), each counting as one level of nesting, as a call of `expr` would."""
        depth, max_depth = self.depth + 1, self.max_depth
        if depth > max_depth:
            raise self.too_deep()
        toks, b, binary, plain = self.toks, self.b, self.binary, self.plain
        number, symbol, implicit = self.number, self.symbol, _IMPLICIT
        # self.i, self.depth and self.budget while other methods read tokens
        i, budget = self.i, self.budget
        # (left operand, builder function, operator token, rbp, None) of an operator, or
        # (None, None, opening bracket, rbp, abs_depth outside) of a group
        pending = []
        at = None  # the token of the node being built, where a BuildError is reported
        try:
            while True:
                # an operand: the common leaves here, the rest by `prefix`
                tok = toks[i]
                i += 1
                kind = tok[0]
                if kind == "num":
                    budget -= 1
                    if budget < 0:
                        raise self.too_long(tok)
                    at = tok
                    value = tok[1]
                    left = number(b, value[0], value[1])
                elif kind == "name" and tok[1] in plain and not tok[4]:
                    budget -= 1
                    if budget < 0:
                        raise self.too_long(tok)
                    at = tok
                    left = symbol(b, tok[1])
                elif kind == "op" and (tok[1] == "(" or tok[1] == "{"):
                    pending.append((None, None, tok, rbp, self.abs_depth))
                    self.abs_depth, rbp = 0, 0
                    depth += 1
                    if depth > max_depth:
                        self.i = i
                        raise self.too_deep()
                    continue
                else:
                    self.i, self.depth, self.budget = i, depth, budget
                    left = self.prefix(tok)
                    i, budget = self.i, self.budget
                # the operators after it, while they bind tighter than rbp
                while True:
                    tok = toks[i]
                    kind = tok[0]
                    if kind == "op":
                        op = tok[1]
                        entry = binary[op]
                        if entry is not None:  # + - * / ^
                            method, bp, right_bp = entry
                            if bp > rbp:
                                i += 1
                                break
                        elif op == "'":  # a prime binds tightest; the builder says where it may be
                            self.budget = budget
                            left = self.build(tok, "prime", left)
                            budget = self.budget
                            i += 1
                            continue
                        elif (op == "(" or op == "{" or op == "|" and not self.abs_depth) and implicit > rbp:
                            method, right_bp = self.mul, implicit  # a group or |x| starts a product
                            break
                    elif kind != "end" and implicit > rbp:  # a product of factors side by side
                        if kind == "num" and toks[i - 1][0] == "num":
                            raise self.error("two numbers in a row: put an operator between them", tok)
                        method, right_bp = self.mul, implicit
                        break
                    # the operand ends here
                    depth -= 1
                    if not pending:
                        self.i, self.depth, self.budget = i, depth, budget
                        return left
                    right = left
                    left, method, at, rbp, outside = pending.pop()
                    if method is None:  # the group ends: at its closing bracket
                        close = ")" if at[1] == "(" else "}"
                        if toks[i][0] == "op" and toks[i][1] == close:
                            i += 1
                        else:
                            self.i = i
                            self.expect(close, at)
                        self.abs_depth, left = outside, right
                        continue
                    budget -= 1
                    if budget < 0:
                        raise self.too_long(at)
                    left = method(b, left, right)
                pending.append((left, method, tok, rbp, None))
                rbp = right_bp
                depth += 1
                if depth > max_depth:
                    self.i = i
                    raise self.too_deep()
        except BuildError as exc:
            raise self.error(str(exc), at) from None

    def grouped(self, opener: Token, close: str):
        saved, self.abs_depth = self.abs_depth, 0
        node = self.expr(0)
        self.expect(close, opener)
        self.abs_depth = saved
        return node

    def prefix(self, tok: Token):
        """The operand starting at `tok` (read already), other than those `expr` reads: a
        number, a plain variable, a group in ( ) or { }."""
        if tok[0] == "name":
            return self.name(tok)
        if tok[0] == "cmd":
            if tok[1] == "logbase":
                return self.call(tok, "log", 0, declared=False, base=self.argument(tok))
            return self.frac(tok) if tok[1] == "frac" else self.sqrt(tok)
        if tok[0] == "op":
            if tok[1] == "-":
                return self.build(tok, "neg", self.expr(25))
            if tok[1] == "+":
                return self.expr(25)
            if tok[1] == "|":
                self.abs_depth += 1
                node = self.expr(0)
                self.expect("|", tok)
                self.abs_depth -= 1
                return self.build(tok, "call", "abs", [node])
        if tok[0] == "end":
            raise self.error("the answer ends too early", tok)
        raise self.error(f"unexpected {describe(tok)}", tok)

    def argument(self, tok: Token):
        """A braced LaTeX argument, or a single factor: \\frac{a}{b}, \\sqrt x."""
        nxt = self.toks[self.i]
        if nxt[0] == "op" and nxt[1] == "{":
            self.i += 1
            return self.grouped(nxt, "}")
        if not self.starts_operand(nxt):
            raise self.error(f"{describe(tok)} needs an argument", nxt)
        return self.expr(_IMPLICIT)

    def frac(self, tok: Token):
        num = self.argument(tok)
        den = self.argument(tok)
        return self.build(tok, "div", num, den)

    def sqrt(self, tok: Token):
        index = None
        nxt = self.toks[self.i]
        if nxt[0] == "op" and nxt[1] == "[":
            self.i += 1
            index = self.grouped(nxt, "]")
        arg = self.argument(tok)
        if index is None:
            return self.build(tok, "call", "sqrt", [arg])
        return self.build(tok, "root", arg, index)

    def name(self, tok: Token):
        word, alts = tok[1], tok[4]
        candidates = (word, *alts, *_spellings(word)) if word[-1].isdigit() else \
            (word, *alts) if alts else (word,)
        for c in candidates:
            if c in self.functions:
                primes, toks = 0, self.toks
                while toks[self.i][0] == "op" and toks[self.i][1] == "'" and primes < 4:
                    self.i += 1
                    primes += 1
                return self.call(tok, c, primes, declared=True)
        for c in candidates:
            if c in self.variables:
                return self.build(tok, "symbol", c)
        special = self.build(tok, "special", tok[1])
        if special is not None:
            return special
        if tok[1] in CONSTANTS:
            return self.build(tok, "constant", tok[1])
        spelling = tok[1] if tok[1] in BUILTIN_FUNCTIONS else tok[1].lower()
        if spelling in BUILTIN_FUNCTIONS or spelling in self.b.extra_functions:
            return self.call(tok, spelling, 0, declared=False)
        base = _LOG_BASE.fullmatch(tok[1]) if tok[1].startswith("log_") else None
        if base:
            b = base.group(1)
            node = self.build(tok, "number", int(b), 1) if b.isdigit() else \
                self.name(("name", b, tok[2], tok[3], ()))
            return self.call(tok, "log", 0, declared=False, base=node)
        folded = tok[1].swapcase()
        if len(tok[1]) == 1 and folded in self.variables:
            self.note(f"{tok[1]} was read as {folded}")
            return self.build(tok, "symbol", folded)
        if tok[1].lower() in _NOT_FINITE:
            raise self.error(f"{tok[1]!r} is not a finite number", tok)
        raise self.error(f"unknown name {tok[1]!r}; {self.allowed_names()}", tok)

    def allowed_names(self) -> str:
        parts = []
        if self.variables:
            parts.append("variables: " + ", ".join(sorted(self.variables)))
        if self.functions:
            parts.append("functions: " + ", ".join(sorted(self.functions)))
        extra = sorted(self.b.extra_names)
        if extra:
            parts.append("also: " + ", ".join(extra))
        builtins = sorted({f for f in BUILTIN_FUNCTIONS if not f.startswith("ar") and f != "lg"}
                          | self.b.extra_functions)
        parts.append("built-in functions: " + ", ".join(builtins))
        parts.append("constants: e, pi")
        return "allowed names are " + "; ".join(parts)

    def is_function(self, tok: Token) -> bool:
        if tok[0] == "cmd" and tok[1] == "logbase":
            return True
        if tok[0] != "name" or tok[1] in self.variables:
            return False
        v = tok[1]
        return v in self.functions or v in BUILTIN_FUNCTIONS or v.lower() in BUILTIN_FUNCTIONS \
            or v in self.b.extra_functions or v.startswith("log_")

    def juxtaposed_argument(self):
        """The argument of a function written without parentheses: the product of the factors
        side by side that follow, up to the next function, as LaTeX parsers read it
        (\\sin 2x is sin(2x), \\ln xy is ln(xy), \\sin x \\cos x is sin(x) cos(x))."""
        arg = self.expr(_IMPLICIT)
        while True:
            nxt = self.toks[self.i]
            if not self.starts_operand(nxt) or self.is_function(nxt) or (nxt[0] == "op" and nxt[1] == "|"):
                return arg
            if nxt[0] == "num" and self.toks[self.i - 1][0] == "num":
                raise self.error("two numbers in a row: put an operator between them", nxt)
            arg = self.build(nxt, "mul", arg, self.expr(_IMPLICIT))

    def inverse_power(self) -> bool:
        """True (and the tokens consumed) when `^-1`, `^{-1}` or `^(-1)` follows."""
        t = self.toks[self.i:self.i + 5]
        values = [x[1] if x[0] != "num" else x[1] == (1, 1) for x in t]
        for pattern in (["^", "-", True], ["^", "{", "-", True, "}"], ["^", "(", "-", True, ")"]):
            if values[:len(pattern)] == pattern:
                self.i += len(pattern)
                return True
        return False

    def call(self, tok: Token, name: str, primes: int, *, declared: bool, base=None):
        power = None
        nxt = self.toks[self.i]
        if not declared and name in _INVERSES and nxt[1] == "^" and self.inverse_power():
            name = _INVERSES[name]  # sin^{-1} x is arcsin x
        elif nxt[0] == "op" and nxt[1] == "^":
            self.i += 1
            power = self.expr(29)
        nxt = self.toks[self.i]
        if nxt[0] == "op" and nxt[1] == "'":
            raise self.error("a prime ' may only follow a declared function, as in sigma'(z)", nxt)
        if nxt[0] == "op" and nxt[1] in "({":
            self.i += 1
            saved, self.abs_depth = self.abs_depth, 0
            args = [self.expr(0)]
            while self.toks[self.i][0] == "op" and self.toks[self.i][1] == ",":
                self.i += 1
                args.append(self.expr(0))
            self.expect(")" if nxt[1] == "(" else "}", nxt)
            self.abs_depth = saved
        elif self.starts_operand(nxt):
            args = [self.juxtaposed_argument()]
        else:
            raise self.error(f"{name!r} is a function: give it an argument, e.g. {name}(x)", nxt)
        if declared:
            if len(args) != 1:
                raise self.error(f"{name} takes one argument", tok)
            node = self.build(tok, "apply", name, args[0], primes)
        else:
            canonical, arity = BUILTIN_FUNCTIONS.get(name, (name, (1,)))
            if base is not None:
                args.append(base)
            if arity is not None and len(args) not in arity:
                raise self.error(f"{name} takes {' or '.join(map(str, arity))} argument(s), "
                                 f"not {len(args)}", tok)
            if arity is None and not args:
                raise self.error(f"{name} needs at least one argument", tok)
            node = self.build(tok, "call", canonical, args)
        return node if power is None else self.build(tok, "pow", node, power)


_INVERSES = {f: f"a{f}" for f in "sin cos tan sinh cosh tanh".split()}
_FUNCTION_WORDS = sorted((f for f in BUILTIN_FUNCTIONS if len(f) > 1), key=len, reverse=True)


def _spellings(name: str) -> tuple[str, ...]:
    """Other spellings of a name with digits: mu_0 for mu0 and mu0 for mu_0."""
    m = _NAME_DIGITS.fullmatch(name)
    if not m:
        return ()
    return (f"{m.group(1)}{m.group(2)}", f"{m.group(1)}_{m.group(2)}")


def _segment(word: str, letters: frozenset | set, variables: frozenset) -> list[str] | None:
    """`word` split into one-letter names and built-in function names (each followed by
    something), or None; a letter is preferred to a function name where both fit."""
    n = len(word)
    step: list[int | None] = [None] * n + [0]  # length of the first piece of word[i:]
    for i in range(n - 1, -1, -1):
        c = word[i]
        if step[i + 1] is not None and (c in letters or (c.swapcase() in variables and c not in letters)):
            step[i] = 1
            continue
        for f in _FUNCTION_WORDS:
            j = i + len(f)
            if j < n and word.startswith(f, i) and step[j] is not None:
                step[i] = len(f)
                break
    if step[0] is None:
        return None
    pieces, i = [], 0
    while i < n:
        pieces.append(word[i:i + step[i]])
        i += step[i]
    return pieces


def describe(tok: Token) -> str:
    if tok[0] == "end":
        return "the end of the answer"
    if tok[0] == "cmd":
        return f"\\{tok[1]}"
    return repr(tok[1] if tok[0] != "num" else "number")


def parse_with(text: Any, builder, *, variables: Iterable[str] = (), functions: Iterable[str] = (),
               limits: Limits | None = None):
    """Parse `text` with `builder`; raises AnswerParseError for anything outside the grammar."""
    limits = limits or DEFAULT_LIMITS
    if not isinstance(text, str):
        raise AnswerParseError(f"expected text, got {type(text).__name__}")
    names = _names(variables, functions) if type(variables) in _HASHABLE and type(functions) in _HASHABLE \
        else _names.__wrapped__(variables, functions)
    tokenizer = _Tokenizer(text, limits, names[3])
    tokens = tokenizer.tokens()
    return _Parser(text, tokens, tokenizer.words, builder, names, limits).parse()


_HASHABLE = (tuple, frozenset)  # sets of names `_names` keeps


@lru_cache(maxsize=256)
def _names(variables: Iterable[str], functions: Iterable[str]) -> tuple[frozenset, ...]:
    """The declared variables and functions as sets, the variables that a name token stands
    for as it is (see `_Parser.name`), and the words never split into a product (declared and
    built-in names, see `_Parser.split_juxtaposed`); kept for the few sets of names an exercise
    declares."""
    variables, functions = frozenset(variables), frozenset(functions)
    plain = frozenset(v for v in variables if v not in functions and not v[-1:].isdigit())
    return variables, functions, plain, variables | functions | frozenset(BUILTIN_FUNCTIONS)


def parse_tree(text: Any, *, variables: Iterable[str] = (), functions: Iterable[str] = (),
               limits: Limits | None = None, notes: list | None = None) -> tuple:
    """Read a student's expression into a light tree (see `tree`); raises AnswerParseError.
    `notes` receives how ambiguous names were read ("K was read as k")."""
    limits = limits or DEFAULT_LIMITS
    builder = TreeBuilder(limits)
    if notes is not None:
        builder.notes = notes
    return parse_with(text, builder, variables=variables, functions=functions, limits=limits)


def parse(text: str, *, variables: Iterable[str] = (), functions: Iterable[str] = (),
          limits: Limits | None = None):
    """Read a student's expression into SymPy; raises AnswerParseError (with a position)."""
    from grader.answers.symbolic import to_sympy

    tree = parse_tree(text, variables=variables, functions=functions, limits=limits)
    try:
        return to_sympy(tree)
    except BuildError as exc:
        raise AnswerParseError(str(exc), text, None) from None


def parse_number(text: str, limits: Limits | None = None):
    """Read a closed-form real constant (`sqrt(2)/2`, `-5/3`, `1e-3`, `\\frac{1}{2}`), exactly."""
    import sympy

    value = parse(text, limits=limits)
    if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise AnswerParseError("the answer is not a finite number", text, None)
    approx = value.evalf(30)
    re_part, im_part = approx.as_real_imag()
    if not (re_part.is_Number and im_part.is_Number) or not re_part.is_finite:
        raise AnswerParseError("the answer is not a finite real number", text, None)
    if im_part != 0 and abs(im_part) > 1e-25 * max(1, abs(re_part)):
        raise AnswerParseError("the answer is not a real number (it has an imaginary part)",
                               text, None)
    return value


def __getattr__(name: str):
    """SymPy printers, loaded with SymPy on first use."""
    if name in ("to_text", "to_latex", "SympyBuilder"):
        from grader.answers import symbolic

        return getattr(symbolic, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
