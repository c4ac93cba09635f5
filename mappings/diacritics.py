"""NormalizeDiacritics: the character table of Microsoft Learn's expression reference.

Only the characters that table lists are replaced (Ø becomes OE, ß becomes ss); others,
such as Ð or Þ, are left as they are, as Entra leaves them.
"""

import unicodedata

_TABLE = {
    "a": "ä à â ã å á ą ă ā ā́ ā̀ ā̂ ā̃ ǟ ā̈ ǡ a̱ å̄",
    "A": "Ä À Â Ã Å Á Ą Ă Ā Ā́ Ā̀ Ā̂ Ā̃ Ǟ Ā̈ Ǡ A̱ Å̄",
    "ae": "æ ǣ", "AE": "Æ Ǣ",
    "c": "ç č ć c̄ c̱", "C": "Ç Č Ć C̄ C̱",
    "d": "ď d̄ ḏ", "D": "Ď D̄ Ḏ",
    "e": "ë è é ê ę ě ė ē ḗ ḕ ē̂ ē̃ ê̄ e̱ ë̄ e̊̄",
    "E": "Ë È É Ê Ę Ě Ė Ē Ḗ Ḕ Ē̂ Ē̃ Ê̄ E̱ Ë̄ E̊̄",
    "g": "ğ ḡ g̱", "G": "Ğ Ḡ G̱",
    "i": "ï î ì í ı ī ī́ ī̀ ī̂ ī̃ i̱", "I": "Ï Î Ì Í İ Ī Ī́ Ī̀ Ī̂ Ī̃ I̱",
    "l": "ľ ł l̄ ḹ ḻ", "L": "Ł Ľ L̄ Ḹ Ḻ",
    "n": "ñ ń ň n̄ ṉ", "N": "Ñ Ń Ň N̄ Ṉ",
    "o": "ö ò ő õ ô ó ō ṓ ṑ ō̂ ō̃ ȫ ō̈ ǭ ȭ ȱ o̱",
    "O": "Ö Ò Ő Õ Ô Ó Ō Ṓ Ṑ Ō̂ Ō̃ Ȫ Ō̈ Ǭ Ȭ Ȱ O̱",
    "oe": "ø ø̄ œ̄", "OE": "Ø Ø̄ Œ̄",
    "r": "ř r̄ ṟ ṝ", "R": "Ř R̄ Ṟ Ṝ",
    "ss": "ß",
    "s": "š ś ș ş s̄ s̱", "S": "Š Ś Ș Ş S̄ S̱",
    "t": "ť ț t̄ ṯ", "T": "Ť Ț T̄ Ṯ",
    "u": "ü ù û ú ů ű ū ū́ ū̀ ū̂ ū̃ u̇̄ ǖ ṻ ṳ̄ u̱",
    "U": "Ü Ù Û Ú Ů Ű Ū Ū́ Ū̀ Ū̂ Ū̃ U̇̄ Ǖ Ṻ Ṳ̄ U̱",
    "y": "ÿ ý ȳ ȳ́ ȳ̀ ȳ̃ y̱", "Y": "Ÿ Ý Ȳ Ȳ́ Ȳ̀ Ȳ̃ Y̱",
    "z": "ź ž ż z̄ ẕ", "Z": "Ź Ž Ż Z̄ Ẕ",
}
_MAP = {unicodedata.normalize("NFC", char): plain
        for plain, chars in _TABLE.items() for char in chars.split()}
_LONGEST = max(len(key) for key in _MAP)


def normalize(value: str) -> str:
    """The value with the table's characters replaced, longest sequence first."""
    text = unicodedata.normalize("NFC", value)
    out, i = [], 0
    while i < len(text):
        for size in range(min(_LONGEST, len(text) - i), 0, -1):
            plain = _MAP.get(text[i:i + size])
            if plain is not None:
                out.append(plain)
                i += size
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
