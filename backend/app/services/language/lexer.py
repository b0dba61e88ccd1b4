"""Tokenizer for plain-language rules: numbers, percents, words (with synonyms folded) and symbols.

Every token keeps its character offset in the original text, so an error can point at it.

>>> [t.text for t in tokenize("Enter when the 20-day SMA(20) crosses over 5%")]
['enter', 'when', '20', 'bar', 'sma', '(', '20', ')', 'cross', 'above', '5%']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words folded onto one canonical spelling, so the grammar lists each idea once.
SYNONYMS: dict[str, str] = {
    **dict.fromkeys(["crosses", "crossed", "crossing", "crossover", "crossovers"], "cross"),
    **dict.fromkeys(["over", "beyond"], "above"),
    **dict.fromkeys(["under", "beneath"], "below"),
    **dict.fromkeys(
        ["days", "day", "bars", "periods", "period", "sessions", "session", "candles", "candle"], "bar"
    ),
    **dict.fromkeys(["daily"], "bar"),
    **dict.fromkeys(["drops", "dropped", "falls", "fall", "fell", "declines", "decline", "declined"], "drop"),
    **dict.fromkeys(
        ["dips", "dip", "dipped", "sinks", "sink", "slides", "slide", "pullback", "pullbacks"], "drop"
    ),
    **dict.fromkeys(
        ["plunges", "plunge", "loses", "lose", "decrease", "decreases", "falling", "dropping"], "drop"
    ),
    **dict.fromkeys(["rises", "rise", "rose", "gains", "gain", "gained", "jumps", "jump", "jumped"], "rise"),
    **dict.fromkeys(
        ["climbs", "climb", "rallies", "rally", "increases", "increase", "surges", "surge"], "rise"
    ),
    **dict.fromkeys(["rising", "advances", "advance", "spikes", "spike", "soars", "soar"], "rise"),
    **dict.fromkeys(["breaks", "broke", "breaking", "break"], "break"),
    **dict.fromkeys(["moves", "moved", "move", "goes", "go", "pushes", "push"], "move"),
    **dict.fromkeys(
        ["touches", "touched", "touch", "tags", "tag", "hits", "hit", "reaches", "reach"], "touch"
    ),
    **dict.fromkeys(["tests", "test"], "touch"),
    **dict.fromkeys(["closes", "closing", "closed"], "closes"),
    **dict.fromkeys(["exceeds", "exceed", "tops"], "exceeds"),
    **dict.fromkeys(
        ["stays", "stay", "remains", "remain", "holds", "hold", "trades", "trade", "ends"], "stays"
    ),
    **dict.fromkeys(["averages", "avg", "mean"], "average"),
    **dict.fromkeys(["bands", "band"], "band"),
    **dict.fromkeys(["bollinger", "bb", "bbands", "bollingers"], "bollinger"),
    **dict.fromkeys(["stochastic", "stochastics", "stoch"], "stochastic"),
    **dict.fromkeys(["atrs"], "atr"),
    **dict.fromkeys(["histogram", "hist"], "histogram"),
    **dict.fromkeys(["turns", "turned", "turn", "becomes", "become", "flips", "flip"], "turns"),
    **dict.fromkeys(["highs"], "high"),
    **dict.fromkeys(["lows"], "low"),
    **dict.fromkeys(["times"], "times"),
    **dict.fromkeys(["change", "changes", "return", "returns", "move", "performance"], "change"),
    "makes": "makes",
    "make": "makes",
    "sets": "makes",
    "prints": "makes",
    "yesterday": "previous",
    "prior": "previous",
    "preceding": "previous",
    "last": "previous",
    "past": "previous",
    "vol": "volume",
}
# "move" is both a verb ("moves above") and a noun ("3-day move"): the verb wins; the parser accepts both.
SYNONYMS["move"] = "move"

FILLER: frozenset[str] = frozenset(
    [
        "the",
        "a",
        "an",
        "is",
        "are",
        "be",
        "been",
        "line",
        "level",
        "value",
        "reading",
        "of",
        "to",
        "price's",
        "than",
    ]
)

_TOKEN_RE = re.compile(
    r"""
    (?P<num>(?<![\w.])-?\d+(?:\.\d+)?|\d+(?:\.\d+)?)   # 5, 2.5, -100 (a minus only when not after a word)
    | (?P<pctword>%[kKdD]\b)                           # stochastic %K / %D
    | (?P<word>[A-Za-z][A-Za-z']*)
    | (?P<op>>=|<=|=>|=<|[<>(),+*/=%-])
    | (?P<space>\s+|[.;:!?"])
    | (?P<bad>.)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "word", "sym", "bad"
    text: str  # normalized text: folded synonym, "5%" for a percent, the number's literal
    pos: int  # offset of the first character in the original rule
    value: float = 0.0
    percent: bool = False


def tokenize(text: str) -> list[Token]:
    """Split a rule into tokens, dropping filler words and folding synonyms (see module doc)."""
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "bad"
        raw = match.group()
        pos = match.start()
        if kind == "space":
            continue
        if kind == "num":
            tokens.append(Token("num", raw, pos, float(raw)))
        elif kind == "pctword":
            tokens.append(Token("word", raw.lower(), pos))
        elif kind == "word":
            _add_word(tokens, raw, pos)
        elif kind == "op":
            if raw == "%" and tokens and tokens[-1].kind == "num" and not tokens[-1].percent:
                last = tokens[-1]
                tokens[-1] = Token("num", f"{last.text}%", last.pos, last.value, percent=True)
            elif (
                raw == "-" and tokens and tokens[-1].kind == "num" and _followed_by_letter(text, match.end())
            ):
                continue  # "20-day": the hyphen only joins the number to its unit
            else:
                tokens.append(Token("sym", {"=>": ">=", "=<": "<="}.get(raw, raw), pos))
        else:
            tokens.append(Token("bad", raw, pos))
    return tokens


def _followed_by_letter(text: str, index: int) -> bool:
    return index < len(text) and text[index].isalpha()


def _add_word(tokens: list[Token], raw: str, pos: int) -> None:
    word = raw.lower()
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    if word in FILLER:
        return
    if word == "x" and tokens and tokens[-1].kind == "num":
        tokens.append(Token("word", "times", pos))
        return
    tokens.append(Token("word", SYNONYMS.get(word, word), pos))
