"""Every word the grammar knows (gathered from its tables, not kept by hand), and the detection of an
indicator name it does not know ("TEMA(9)", "the Parabolic SAR") for a clear error.
"""

from __future__ import annotations

from functools import lru_cache

from app.services.language import catalog
from app.services.language.lexer import FILLER, NUMBER_WORDS, SYNONYMS, Token

_EXTRA = (
    "and or not no either when whenever if once on after while there where as soon but only with provided "
    "long "
    "enter entry exit buy sell position trade out get signal trigger go move short its their it was were ago "
    "previous today todays current this bar day week month year hour trading calendar in over within during "
    "for from at least most more less than between inside outside touch cross above below new makes closes "
    "rise drop up down higher lower positive negative oversold overbought turns territory zone times plus "
    "minus divided by consecutive straight successive row whichever comes first time stop loss take profit "
    "target trailing trail entry price purchase peak holding period held gap gaps opens open high low close "
    "volume range ibs internal strength highest lowest golden death bullish bearish crossover sloping slopes "
    "trending pointing turning squeeze ttm cumulative sum change percent percentage return stays nr narrow "
    "candlestick candle pattern formation forms appears shows prints doji hammer shooting star engulfing "
    "reading zero stock market index shares of the a an is are be to both"
)


@lru_cache(maxsize=1)
def grammar_words() -> frozenset[str]:
    from app.services.language.parser_events import PATTERNS, STOP_WORDS, TARGET_WORDS
    from app.services.language.parser_tail import COMPARE, CROSS_ABOVE, CROSS_BELOW
    from app.services.language.series import PRICE_WORDS
    from app.services.language.series_named import MA_PHRASES, POSITIONS

    words: set[str] = set(_EXTRA.split()) | set(SYNONYMS) | set(SYNONYMS.values()) | set(FILLER)
    words |= set(NUMBER_WORDS) | set(POSITIONS)
    phrases = [*CROSS_ABOVE, *CROSS_BELOW, *(p for p, _ in COMPARE), *(p for p, _ in MA_PHRASES)]
    phrases += [*(p for p, _ in PATTERNS), *STOP_WORDS, *TARGET_WORDS, *PRICE_WORDS]
    for family in catalog.families():
        phrases += [*family.names]
        for out in family.outputs:
            phrases += [*out.words, out.label.lower()]
    for phrase in phrases:
        words |= {w.strip("%") for w in phrase.split()} | set(phrase.split())
    return frozenset(w for w in words if w)


def known(word: str) -> bool:
    lowered = word.lower().replace("'", "")
    return lowered in grammar_words() or lowered.rstrip("s") in grammar_words()


def unknown_indicator(text: str, tokens: list[Token], fail_i: int) -> tuple[str, int, str] | None:
    """``(name, position, reason)`` when reading stopped at a word that looks like an indicator's name
    (capitalised mid-rule, all capitals, or followed by '(' or a number) and the grammar does not know it."""
    for j in range(max(fail_i - 1, 0), min(fail_i + 3, len(tokens))):
        tok = tokens[j]
        if tok.kind != "word":
            continue
        raw = text[tok.pos : tok.pos + len(tok.text) + 2].split("(")[0].split()[0].strip(",.;:")
        if known(raw):
            continue
        nxt = tokens[j + 1] if j + 1 < len(tokens) else None
        looks_named = (
            (raw.isupper() and len(raw) >= 2)
            or (raw[:1].isupper() and j > 0)
            or (nxt is not None and (nxt.text == "(" or nxt.kind == "num"))
        )
        if not looks_named:
            continue
        name = raw
        if nxt is not None and nxt.kind == "word" and not known(text[nxt.pos : nxt.pos + len(nxt.text)]):
            name = text[tok.pos : nxt.pos + len(nxt.text)]
        listed = ", ".join(catalog.known_names())
        reason = (
            f"'{name}' is not an indicator the language knows (known: {listed}); "
            "define it as a custom indicator"
        )
        return name, tok.pos, reason
    return None
