"""Text in EDIFACT interchanges: what the UNOC character set (ISO 8859-1) can carry, and proof that what a
partner reads back is what the invoice says.

EDIFACT's separators (+ : ' and the release character ?) are escaped by pydifact when it serialises; what it
cannot do is carry a character the interchange's character set lacks. Encoding with errors="replace" turned
such a character into "?", which is the release character: `L’Atelier` reached the partner as `LAtelier`,
and a closing quote at the end of a description escaped the segment terminator. So text is transliterated
first, by a fixed table (’ -> ', “ ” -> ", – -> -, … -> ..., € -> EUR, œ -> oe), then by dropping accents of
letters ISO 8859-1 lacks (ą -> a); a character with no readable equivalent is refused, never replaced by a
guess. The interchange is then encoded strictly, and `compare_texts` checks every text pydifact reads back
against the transliterated source.
"""

from __future__ import annotations

import unicodedata

UNOC = "UNOC"
UNOC_CODEC = "iso-8859-1"

TRANSLITERATION = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u02bc": "'",
    "\u2035": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2036": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u2039": "<",
    "\u203a": ">",
    "\u2044": "/",
    "\u20ac": "EUR",
    "\u2122": "TM",
    "\u2030": "o/oo",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u0178": "Y",
    "\u0160": "S",
    "\u0161": "s",
    "\u017d": "Z",
    "\u017e": "z",
    # letters with a stroke do not decompose: their base letter
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0131": "i",
    "\u0126": "H",
    "\u0127": "h",
    # spaces: narrow no-break (French thousands and "€" spacing), thin, figure, en/em spaces
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2008": " ",
    "\u200a": " ",
    # invisible: zero-width space and joiners, byte-order mark, soft hyphen
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u00ad": "",
    # line breaks and tabs inside a text value become spaces (EDIFACT text has no line structure)
    "\t": " ",
    "\r": " ",
    "\n": " ",
}


class EdifactTextError(ValueError):
    """Text the interchange's character set cannot carry, even transliterated."""


def _carried(character: str) -> bool:
    code = ord(character)
    # ISO 8859-1 printable characters: 0x20-0x7E and 0xA0-0xFF (C0 and C1 controls are not text)
    return 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF


def to_unoc(text: str) -> str:
    """`text` as UNOC can carry it: the table above, then accents dropped from letters ISO 8859-1 lacks."""
    out = []
    for character in text:
        if _carried(character):
            out.append(character)
            continue
        if character in TRANSLITERATION:
            out.append(TRANSLITERATION[character])
            continue
        decomposed = "".join(c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c))
        if decomposed and all(_carried(c) for c in decomposed):
            out.append(decomposed)
            continue
        name = unicodedata.name(character, "unnamed character")
        raise EdifactTextError(
            f"{character!r} (U+{ord(character):04X} {name}) in {text!r} cannot be written in "
            f"{UNOC} (ISO 8859-1) and has no transliteration"
        )
    return "".join(out)


def chunks(text: str, size: int, count: int) -> list[str]:
    """`text` cut into at most `count` pieces of `size` characters (repeated EDIFACT data elements)."""
    pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    if len(pieces) > count:
        raise EdifactTextError(f"text of {len(text)} characters does not fit {count} x {size} characters: {text!r}")
    return pieces


def compare_texts(expected: dict[str, str], actual: dict[str, str]) -> list[tuple[str, str]]:
    """(where, message) for every text read back differently from the source (missing ones too)."""
    problems = []
    for where, wanted in expected.items():
        got = actual.get(where)
        if got is None:
            problems.append((where, f"{where}: {wanted!r} is missing from the interchange"))
        elif got != wanted:
            at = next((i for i, (a, b) in enumerate(zip(wanted, got)) if a != b), min(len(wanted), len(got)))
            message = (
                f"{where}: reads back {got!r}, the invoice says {wanted!r} (first difference at character {at + 1})"
            )
            problems.append((where, message))
    return problems
