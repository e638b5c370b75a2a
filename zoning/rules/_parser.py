"""Tokenizer and recursive-descent parser of the rule-expression language.

The grammar and the meaning of every construct are documented in
:mod:`zoning.rules.expressions`, the public façade. This module knows nothing about
pandas: it turns the text of an expression into an immutable tree of nodes, and rejects
everything outside the language with an :class:`~zoning.errors.ExpressionError` that
points at the offending character.

The tokenizer is a generator, so the parser reports the leftmost problem first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from zoning.errors import ExpressionError, did_you_mean

MAX_DEPTH = 32
"""How deeply brackets, calls and prefix operators may nest (guards the recursion)."""

CONSTANTS: dict[str, bool | None] = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "null": None,
}
KEYWORDS = frozenset({"and", "or", "not", "in", *CONSTANTS})
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_DIGITS = "0123456789"
_INT64_MAX = 2**63 - 1

# Longest first, so that "**" wins over "*" and "==" over "=".
_OPERATORS = (
    "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "<", ">", "(", ")", "[", "]", ",",
)  # fmt: skip
_FORBIDDEN = {
    "<>": "'<>' is not allowed; use '!=' for 'not equal'",
    "&&": "'&&' is not allowed; use 'and'",
    "||": "'||' is not allowed; use 'or'",
    "&": "'&' is not allowed; use 'and'",
    "|": "'|' is not allowed; use 'or'",
    "!": "'!' is not allowed; use 'not' (or '!=' for 'not equal')",
    "~": "'~' is not allowed; use 'not'",
    "=": "'=' is not allowed; use '==' to compare",
    ".": "attribute access ('.') is not allowed in rule expressions",
    ":": "':' is not allowed in rule expressions (there are no lambdas, slices or dictionaries)",
    ";": "';' is not allowed; a rule expression is one single condition or value",
    "{": "braces ('{') are not allowed in rule expressions (there are no dictionaries or sets)",
    "}": "braces ('}') are not allowed in rule expressions (there are no dictionaries or sets)",
    "^": "'^' is not allowed; use '**' for powers",
    "#": "comments ('#') are not allowed inside an expression; put them in the YAML file",
    "`": "backticks are not allowed; write column names bare, e.g. subs_max_m",
    "\\": "a backslash is only allowed inside quoted text",
}
_FULL_WIDTH = {
    "（": "(", "）": ")", "，": ",", "【": "[", "】": "]", "［": "[", "］": "]",
    "＝": "=", "＜": "<", "＞": ">", "！": "!", "：": ":", "；": ";", "。": ".",
    "‘": "'", "’": "'", "“": '"', "”": '"',
}  # fmt: skip
_WORD_HINTS = {
    "if": "conditional values are written if_else(condition, a, b)",
    "else": "conditional values are written if_else(condition, a, b)",
    "is": "test for missing values with isnull(x) or notnull(x); compare with '=='",
    "for": "comprehensions are not allowed in rule expressions",
    "lambda": "lambdas are not allowed in rule expressions",
    "import": "imports are not allowed in rule expressions",
}


class FunctionSignature(Protocol):
    """What the parser needs to know about a whitelisted function."""

    @property
    def min_args(self) -> int: ...
    @property
    def max_args(self) -> int | None: ...
    @property
    def signature(self) -> str: ...
    @property
    def literal_args(self) -> Mapping[int, tuple[type, ...]]: ...


# --- tokens ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number", "string", "name", "keyword", "op" or "end"
    text: str
    value: int | float | str | None
    start: int
    end: int

    def is_op(self, *texts: str) -> bool:
        return self.kind == "op" and self.text in texts

    def is_keyword(self, text: str) -> bool:
        return self.kind == "keyword" and self.text == text

    def describe(self) -> str:
        if self.kind == "end":
            return "end of the expression"
        if self.kind in ("name", "keyword"):
            return f"{self.kind} {self.text!r}"
        if self.kind in ("number", "string"):
            return f"{'text' if self.kind == 'string' else 'number'} {self.text}"
        return repr(self.text)


def _is_name_char(char: str) -> bool:
    return ("a" + char).isidentifier()


def tokenize(text: str) -> Iterator[Token]:
    """Yield the tokens of ``text``, then an endless run of "end" tokens."""
    i, n = 0, len(text)
    previous: Token | None = None
    before_previous: Token | None = None
    brackets: list[str] = []  # "call", "paren" or "list" for every open bracket
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            while True:
                yield Token("end", "", None, n, n)
        char = text[i]
        after_value = previous is not None and (
            previous.kind in ("name", "number", "string") or previous.is_op(")", "]")
        )
        starts_fraction = char == "." and text[i + 1 : i + 2] in tuple(_DIGITS) and not after_value
        if char in _DIGITS or starts_fraction:
            token = _scan_number(text, i)
        elif char in "'\"":
            token = _scan_string(text, i)
        elif char.isidentifier():
            j = i + 1
            while j < n and _is_name_char(text[j]):
                j += 1
            word = text[i:j]
            token = Token("keyword" if word in KEYWORDS else "name", word, None, i, j)
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                bad = next((o for o in _FORBIDDEN if text.startswith(o, i)), None)
                message = _forbidden_message(bad, char, previous, before_previous, brackets)
                raise ExpressionError(message, text, i)
            token = Token("op", op, None, i, i + len(op))
            if op in "([":
                call = op == "(" and previous is not None and previous.kind == "name"
                brackets.append("list" if op == "[" else "call" if call else "paren")
            elif op in ")]" and brackets:
                brackets.pop()
        yield token
        before_previous, previous = previous, token
        i = token.end


def _forbidden_message(
    bad: str | None, char: str, previous: Token | None, before: Token | None, brackets: list[str]
) -> str:
    in_call = bad == "=" and bool(brackets) and brackets[-1] == "call"
    if (
        in_call
        and previous is not None
        and previous.kind == "name"
        and before is not None
        and before.is_op("(", ",")
    ):
        return (
            f"keyword arguments ('{previous.text}=') are not allowed; "
            "pass arguments by position, e.g. round(x, 2)"
        )
    if bad is not None:
        return _FORBIDDEN[bad]
    if char in _FULL_WIDTH:
        return f"full-width character {char!r} is not allowed; use the ASCII {_FULL_WIDTH[char]!r}"
    return f"unexpected character {char!r}"


def _scan_number(text: str, i: int) -> Token:
    n = len(text)
    j = i
    while j < n and text[j] in _DIGITS:
        j += 1
    if j < n and text[j] == ".":
        j += 1
        while j < n and text[j] in _DIGITS:
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k] in _DIGITS:
            while k < n and text[k] in _DIGITS:
                k += 1
            j = k
    if j < n and (text[j] == "." or _is_name_char(text[j])):
        k = j
        while k < n and (text[k] == "." or _is_name_char(text[k])):
            k += 1
        raise ExpressionError(
            f"malformed number {text[i:k]!r}; a number cannot run into letters or a second '.'",
            text,
            i,
        )
    literal = text[i:j]
    value: int | float
    if any(c in literal for c in ".eE") or len(literal) > 18:
        value = float(literal)
    else:
        value = int(literal)
    if isinstance(value, int) and value > _INT64_MAX:
        value = float(value)
    return Token("number", literal, value, i, j)


def _scan_string(text: str, i: int) -> Token:
    quote = text[i]
    parts: list[str] = []
    j = i + 1
    while j < len(text):
        char = text[j]
        if char == "\\":
            escaped = text[j + 1 : j + 2]
            if escaped not in ("'", '"', "\\") or not escaped:
                raise ExpressionError(
                    "unknown escape in text; only \\', \\\" and \\\\ are allowed", text, j
                )
            parts.append(escaped)
            j += 2
            continue
        if char == quote:
            return Token("string", text[i : j + 1], "".join(parts), i, j + 1)
        parts.append(char)
        j += 1
    raise ExpressionError(f"this text is never closed; add the closing {quote}", text, i)


# --- nodes ----------------------------------------------------------------------------
# Every node records the character span [start, end) of the source it came from, so
# evaluation errors can quote the sub-expression and point at it.


@dataclass(frozen=True, slots=True)
class Constant:
    value: int | float | str | bool | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Constant, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Negate:
    op: str  # "-" or "+"
    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Logic:
    op: str  # "and" or "or"
    operands: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Arith:
    """``first op1 x1 op2 x2 ...`` evaluated left to right (one precedence level)."""

    first: Node
    rest: tuple[tuple[str, int, Node], ...]  # (operator, its offset, operand)
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison or a chain of them: ``a < b <= c`` is ``a < b and b <= c``."""

    first: Node
    rest: tuple[tuple[str, int, Node], ...]  # (operator, its offset, operand)
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    start: int
    end: int


Node = Constant | Name | ListExpr | Negate | Not | Logic | Arith | Compare | Call


def walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and every node below it, in source order."""
    yield node
    children: tuple[Node, ...]
    match node:
        case Negate(operand=operand) | Not(operand=operand):
            children = (operand,)
        case Logic(operands=operands):
            children = operands
        case Arith(first=first, rest=rest) | Compare(first=first, rest=rest):
            children = (first, *(operand for _, _, operand in rest))
        case Call(args=args):
            children = args
        case ListExpr(items=items):
            children = items
        case _:
            children = ()
    for child in children:
        yield from walk(child)


# --- parser ---------------------------------------------------------------------------


def parse(text: str, functions: Mapping[str, FunctionSignature]) -> Node:
    """Parse ``text`` into a tree of nodes, checking calls against ``functions``."""
    return _Parser(text, functions).parse()


class _Parser:
    def __init__(self, text: str, functions: Mapping[str, FunctionSignature]) -> None:
        self.text = text
        self.functions = functions
        self.tokens = tokenize(text)
        self.buffer: list[Token] = []
        self.last: Token | None = None
        self.depth = 0

    # token access
    def peek(self, ahead: int = 0) -> Token:
        while len(self.buffer) <= ahead:
            self.buffer.append(next(self.tokens))
        return self.buffer[ahead]

    def advance(self) -> Token:
        token = self.peek()
        del self.buffer[0]
        self.last = token
        return token

    def error(self, message: str, position: int) -> ExpressionError:
        return ExpressionError(message, self.text, position)

    @contextmanager
    def nested(self, token: Token) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            message = f"the expression is nested more than {MAX_DEPTH} levels deep"
            raise self.error(message, token.start)
        try:
            yield
        finally:
            self.depth -= 1

    def unexpected(self, token: Token, after_value: bool = False) -> ExpressionError:
        if token.kind == "end":
            last = self.last.text if self.last is not None else ""
            message = f"the expression ends after {last!r}; something is missing"
            return self.error(message, token.start)
        hint = _WORD_HINTS.get(token.text, "") if token.kind == "name" else ""
        if after_value and self.last is not None and self.last.kind == "name":
            hint = hint or _WORD_HINTS.get(self.last.text, "")
        if token.kind == "name" and token.text.lower() in KEYWORDS - CONSTANTS.keys():
            hint = f"keywords are lower-case: {token.text.lower()!r}"
        if token.is_op(")"):
            message = "unmatched ')'" if after_value else "unexpected ')'; a value is missing"
            return self.error(message, token.start)
        if token.is_keyword("not") and not after_value:
            hint = "'not' goes in front of a whole condition, e.g. not (x > 1)"
        if after_value:
            message = (
                f"unexpected {token.describe()}; "
                "an operator such as 'and', '==' or '+' is missing before it"
            )
        else:
            message = (
                f"unexpected {token.describe()}; a value, a column name or '(' is expected here"
            )
        return self.error(f"{message} ({hint})" if hint else message, token.start)

    # grammar, lowest precedence first
    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("the expression is empty", 0)
        node = self.parse_or()
        if self.peek().kind != "end":
            raise self.unexpected(self.peek(), after_value=True)
        return node

    def parse_or(self) -> Node:
        return self._logic("or", self.parse_and)

    def parse_and(self) -> Node:
        return self._logic("and", self.parse_not)

    def _logic(self, op: str, operand: Callable[[], Node]) -> Node:
        operands = [operand()]
        while self.peek().is_keyword(op):
            self.advance()
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        return Logic(op, tuple(operands), operands[0].start, operands[-1].end)

    def parse_not(self) -> Node:
        token = self.peek()
        if not token.is_keyword("not"):
            return self.parse_comparison()
        self.advance()
        with self.nested(token):
            operand = self.parse_not()
        return Not(operand, token.start, operand.end)

    def parse_comparison(self) -> Node:
        first = self.parse_sum()
        rest: list[tuple[str, int, Node]] = []
        left: Node = first
        while True:
            token = self.peek()
            if token.kind == "op" and token.text in COMPARISONS:
                op = token.text
            elif token.is_keyword("in"):
                op = "in"
            elif token.is_keyword("not") and self.peek(1).is_keyword("in"):
                op = "not in"
                self.advance()
            else:
                break
            self.advance()
            membership = op in ("in", "not in")
            if rest and (membership or rest[-1][0] in ("in", "not in")):
                raise self.error(
                    f"'{op}' cannot be chained with another comparison; join them with 'and'",
                    token.start,
                )
            right = self.parse_list_after(op) if membership else self.parse_sum()
            for side in (left, right):
                if isinstance(side, Constant) and side.value is None:
                    raise self.error(
                        f"comparing with null using {op!r} is always false; "
                        "test for missing values with isnull(x) or notnull(x)",
                        token.start,
                    )
            rest.append((op, token.start, right))
            left = right
        if not rest:
            return first
        return Compare(first, tuple(rest), first.start, rest[-1][2].end)

    def parse_list_after(self, op: str) -> ListExpr:
        token = self.peek()
        if not token.is_op("["):
            hint = ""
            if token.kind == "string":
                hint = "; use contains(x, 'text') to search inside text"
            raise self.error(
                f"'{op}' needs a list in square brackets on its right, "
                f"e.g. land_class {op} ['paddy', 'dryland']{hint}",
                token.start,
            )
        return self.parse_list()

    def parse_sum(self) -> Node:
        return self._arith(("+", "-"), self.parse_term)

    def parse_term(self) -> Node:
        return self._arith(("*", "/", "%"), self.parse_unary)

    def _arith(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        first = operand()
        rest: list[tuple[str, int, Node]] = []
        while self.peek().is_op(*ops):
            token = self.advance()
            rest.append((token.text, token.start, operand()))
        if not rest:
            return first
        return Arith(first, tuple(rest), first.start, rest[-1][2].end)

    def parse_unary(self) -> Node:
        token = self.peek()
        if not token.is_op("-", "+"):
            return self.parse_power()
        self.advance()
        with self.nested(token):
            operand = self.parse_unary()
        value = operand.value if isinstance(operand, Constant) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            if token.text == "+":
                return Constant(value, token.start, operand.end)
            # arithmetic is float64: the integer 0 has no sign, so -0 folds to -0.0
            negated = -value if value != 0 else -float(value)
            return Constant(negated, token.start, operand.end)
        return Negate(token.text, operand, token.start, operand.end)

    def parse_power(self) -> Node:
        base = self.parse_atom()
        if not self.peek().is_op("**"):
            return base
        token = self.advance()
        with self.nested(token):
            # Right-associative, and tighter than a unary minus on its left: -2**2 == -4.
            exponent = self.parse_unary()
        return Arith(base, (("**", token.start, exponent),), base.start, exponent.end)

    def parse_atom(self) -> Node:
        token = self.peek()
        node: Node
        if token.kind in ("number", "string"):
            self.advance()
            node = Constant(token.value, token.start, token.end)
        elif token.kind == "keyword" and token.text in CONSTANTS:
            self.advance()
            node = Constant(CONSTANTS[token.text], token.start, token.end)
        elif token.kind == "name":
            self.advance()
            if self.peek().is_op("("):
                node = self.parse_call(token)
            elif token.text.startswith("__"):
                raise self.error(
                    "names beginning with '__' are not allowed in rule expressions "
                    f"({token.text!r})",
                    token.start,
                )
            else:
                node = Name(token.text, token.start, token.end)
        elif token.is_op("("):
            self.advance()
            with self.nested(token):
                node = self.parse_or()
            self.expect_close(token, ")", "an operator or ')'")
        elif token.is_op("["):
            raise self.error(
                "a list [...] is only allowed after 'in' / 'not in' or as a function argument",
                token.start,
            )
        else:
            raise self.unexpected(token)
        after = self.peek()
        if after.is_op("["):
            message = "subscripts ('[...]') are not allowed in rule expressions"
            raise self.error(message, after.start)
        if after.is_op("("):
            raise self.error(
                "only known functions can be called, by name: " + ", ".join(sorted(self.functions)),
                after.start,
            )
        return node

    def expect_close(self, opening: Token, close: str, expected: str) -> Token:
        token = self.peek()
        if token.is_op(close):
            return self.advance()
        if token.kind == "end":
            raise self.error(f"this {opening.text!r} is never closed; add {close!r}", opening.start)
        raise self.error(f"expected {expected}, found {token.describe()}", token.start)

    def parse_list(self) -> ListExpr:
        opening = self.advance()
        items: list[Constant] = []
        with self.nested(opening):
            while not self.peek().is_op("]") and self.peek().kind != "end":
                item = self.parse_or()
                if not isinstance(item, Constant):
                    raise self.error(
                        "list items must be fixed values (numbers, quoted text, true/false, null), "
                        "not column names or calculations",
                        item.start,
                    )
                items.append(item)
                if not self.peek().is_op(","):
                    break
                self.advance()
        closing = self.expect_close(opening, "]", "',' or ']' in the list")
        return ListExpr(tuple(items), opening.start, closing.end)

    def parse_call(self, name: Token) -> Call:
        spec = self.functions.get(name.text)
        if spec is None:
            raise self.error(
                f"{name.text!r} is not a known function{did_you_mean(name.text, self.functions)}; "
                f"known functions are: {', '.join(sorted(self.functions))}",
                name.start,
            )
        opening = self.advance()
        args: list[Node] = []
        with self.nested(opening):
            if not self.peek().is_op(")"):
                while True:
                    args.append(self.parse_list() if self.peek().is_op("[") else self.parse_or())
                    if not self.peek().is_op(","):
                        break
                    self.advance()
        closing = self.expect_close(opening, ")", f"',' or ')' in the call of {name.text}()")
        self.check_call(name, spec, args)
        return Call(name.text, tuple(args), name.start, closing.end)

    def check_call(self, name: Token, spec: FunctionSignature, args: list[Node]) -> None:
        low, high = spec.min_args, spec.max_args
        if len(args) < low or (high is not None and len(args) > high):
            if high is None:
                wanted = f"at least {low}"
            elif low == high:
                wanted = f"exactly {low}"
            else:
                wanted = f"{low} to {high}"
            plural = "" if wanted.endswith(" 1") else "s"
            raise self.error(
                f"{name.text}() takes {wanted} argument{plural}, {len(args)} given; "
                f"call it as {spec.signature}",
                name.start,
            )
        for index, arg in enumerate(args):
            allowed = spec.literal_args.get(index)
            if isinstance(arg, ListExpr) and (allowed is None or list not in allowed):
                raise self.error(
                    f"{name.text}() does not take a list; call it as {spec.signature}", arg.start
                )
            if allowed is None or list in allowed:
                continue
            if not (isinstance(arg, Constant) and type(arg.value) in allowed):
                kinds = " or ".join("a whole number" if t is int else "text" for t in allowed)
                raise self.error(
                    f"argument {index + 1} of {spec.signature} must be {kinds} written "
                    "in the expression, not a column or a calculation",
                    arg.start,
                )

