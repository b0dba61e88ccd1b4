"""Tokenizer for plain-language rules: numbers, percents, words (with synonyms folded) and symbols.

Every token keeps its character offset in the original text, so an error can point at it.

>>> [t.text for t in tokenize("Enter when the 20-day SMA(20) crosses over 5%")]
['enter', 'when', '20', 'day', 'sma', '(', '20', ')', 'cross', 'above', '5%']
>>> [t.text for t in tokenize("CCI crosses above +100 within two weeks")]
['cci', 'cross', 'above', '+', '100', 'within', '2', 'week']

Time units stay distinct ("day", "week", "month", "year", and "bar" for bars, periods, sessions,
candles): the reader converts them to bars by the strategy's bar interval. Signs are separate symbols,
so "-100", "+DI" and "SMA(20) - 2 * ATR" read alike. Names of custom indicators (``names``) become
``name`` tokens, whatever their letters, digits and underscores.

To add a word: fold its variants onto one spelling in `SYNONYMS` (the grammar then lists it once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Words folded onto one canonical spelling, so the grammar lists each idea once.
SYNONYMS: dict[str, str] = {
    **dict.fromkeys(["crosses", "crossed", "crossing", "crossover", "crossovers"], "cross"),
    **dict.fromkeys(["over", "beyond"], "above"),
    **dict.fromkeys(["under", "beneath"], "below"),
    **dict.fromkeys(["bars", "periods", "period", "sessions", "session", "candles", "candle"], "bar"),
    **dict.fromkeys(["days", "daily"], "day"),
    **dict.fromkeys(["weeks", "weekly", "wks"], "week"),
    **dict.fromkeys(["months", "monthly", "mo", "mth", "mths"], "month"),
    **dict.fromkeys(["years", "yearly", "yr", "yrs", "annual"], "year"),
    **dict.fromkeys(["hours", "hourly", "hr", "hrs"], "hour"),
    **dict.fromkeys(["drops", "dropped", "falls", "fall", "fell", "declines", "decline", "declined"], "drop"),
    **dict.fromkeys(["declining", "decreasing", "descending", "lowering"], "drop"),
    **dict.fromkeys(["increasing", "ascending"], "rise"),
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

NUMBER_WORDS: dict[str, float] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50,
    "hundred": 100, "zero": 0,
}  # fmt: skip
# Words written as two ideas: "twice" is 2 times, "50dma" is a 50-day moving average.
SPLITS: dict[str, tuple[str, ...]] = {"twice": ("2", "times"), "dma": ("day", "ma"), "on-balance": ("obv",)}
# A letter glued to a number is its unit: "20d MA", "52w high", "4h".
GLUED_UNITS: dict[str, str] = {"d": "day", "w": "week", "wk": "week", "h": "hour"}

_TOKEN_RE = re.compile(
    r"""
    (?P<num>\d+(?:\.\d+)?)                             # 5, 2.5 (signs are symbols)
    | (?P<pctword>%[kKdDbBrR]\b)                       # stochastic %K / %D, Bollinger %b, Williams %R
    | (?P<word>[A-Za-z][A-Za-z']*(?:-[A-Za-z]+)*)     # "stop-loss" reads as "stop loss"
    | (?P<op>>=|<=|=>|=<|[<>(),+*/=%-])
    | (?P<space>\s+|[.;:!?"])
    | (?P<bad>.)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "word", "sym", "name" (a custom indicator), "bad"
    text: str  # normalized text: folded synonym, "5%" for a percent, the number's literal
    pos: int  # offset of the first character in the original rule
    value: float = 0.0
    percent: bool = False


@lru_cache(maxsize=256)
def _names_re(names: frozenset[str]) -> re.Pattern[str] | None:
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w%])(?:{alternatives})(?![\w])", re.IGNORECASE)


def tokenize(text: str, names: frozenset[str] = frozenset()) -> list[Token]:
    """Split a rule into tokens, dropping filler words and folding synonyms (see module doc)."""
    tokens: list[Token] = []
    names_re = _names_re(frozenset(n.lower() for n in names))
    start = 0
    for found in names_re.finditer(text) if names_re is not None else ():
        _tokenize_span(tokens, text, start, found.start())
        tokens.append(Token("name", found.group().lower(), found.start()))
        start = found.end()
    _tokenize_span(tokens, text, start, len(text))
    return tokens


def _tokenize_span(tokens: list[Token], text: str, start: int, end: int) -> None:
    for match in _TOKEN_RE.finditer(text, start, end):
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
            glued = pos > 0 and text[pos - 1].isdigit() and tokens and tokens[-1].kind == "num"
            _add_word(tokens, GLUED_UNITS.get(raw.lower(), raw) if glued else raw, pos)
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
    if word in NUMBER_WORDS:
        value = NUMBER_WORDS[word]
        tokens.append(Token("num", _num_text(value), pos, float(value)))
        return
    parts = SPLITS.get(word) or tuple(p for piece in word.split("-") for p in SPLITS.get(piece, (piece,)))
    if len(parts) > 1 and "-" in word:
        for piece in parts:
            _add_word(tokens, piece, pos)
        return
    for part in parts:
        if part[0].isdigit():
            tokens.append(Token("num", part, pos, float(part)))
        else:
            tokens.append(Token("word", SYNONYMS.get(part, part), pos))


@lru_cache(maxsize=1024)
def fold(phrase: str) -> str:
    """A phrase as the grammar sees it once tokenized ("rate of change" -> "rate change"), for tables
    written in plain words."""
    return " ".join(t.text for t in tokenize(phrase))


def _num_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
