"""Text handling: Japanese-aware charset decoding, HTML to readable text, link neutralising."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import lxml.etree
import lxml.html
from inscriptis import Inscriptis, get_text
from inscriptis.model.config import ParserConfig

# Labels seen in Japanese mail mapped to the codec that actually decodes it: mailers that
# say Shift_JIS write Microsoft's cp932 (NEC/IBM extensions such as ① and ㈱), and
# ISO-2022-JP mail often carries half-width katakana (iso2022_jp_ext).
_ALIASES: dict[str, tuple[str, ...]] = {
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "ms932": ("cp932",),
    "windows-31j": ("cp932",),
    "cp932": ("cp932",),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "iso-2022-jp-2": ("iso2022_jp_2",),
    "csiso2022jp": ("iso2022_jp", "iso2022_jp_ext"),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    "x-euc-jp": ("euc_jp", "euc_jis_2004"),
    "us-ascii": ("ascii",),
    "ascii": ("ascii",),
    "utf8": ("utf-8",),
    "utf-8": ("utf-8",),
}
_GUESSES = ("utf-8", "cp932", "euc_jp", "iso2022_jp_ext")
# Decoders that accept every byte string: when one of them is declared we cannot tell a
# wrong label from a right one, so the declared label wins.
_ALWAYS_DECODE = {"latin_1", "iso8859_15", "cp1252", "cp1250", "cp1251"}


@dataclass(frozen=True)
class Decoded:
    text: str
    charset: str  # the codec that produced ``text``
    note: str | None  # why the declared charset was not used, or None


def _codec_name(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _japanese_score(text: str) -> float:
    """Share of characters plausible in Japanese or ASCII mail (half-width kana and
    rare symbols are what a wrong guess between cp932 and EUC-JP produces)."""
    if not text:
        return 1.0
    good = 0
    for ch in text:
        o = ord(ch)
        if (
            o < 0x80
            or 0x3000 <= o <= 0x30FF  # punctuation, hiragana, katakana
            or 0x4E00 <= o <= 0x9FFF  # common kanji
            or 0xFF01 <= o <= 0xFF5E  # full-width ASCII
        ):
            good += 1
    return good / len(text)


def decode_bytes(data: bytes, declared: str | None) -> Decoded:
    """Bytes to text without mojibake when possible and without an exception ever."""
    candidates: list[str] = []
    label = (declared or "").strip().strip('"').lower()
    if label:
        candidates.extend(_ALIASES.get(label, ()))
        codec = _codec_name(label)
        if codec and codec not in candidates:
            candidates.append(codec)
    declared_codecs = list(candidates)
    if declared_codecs and declared_codecs[0] in _ALWAYS_DECODE:
        return Decoded(data.decode(declared_codecs[0]), declared_codecs[0], None)
    for codec in declared_codecs:
        try:
            return Decoded(data.decode(codec), codec, None)
        except (UnicodeDecodeError, LookupError):
            continue
    # The label is missing, unknown or wrong: guess among the charsets Japanese mail uses.
    if b"\x1b$" in data or b"\x1b(" in data:
        guesses: tuple[str, ...] = ("iso2022_jp_ext", "iso2022_jp_2", *_GUESSES)
    else:
        guesses = _GUESSES
    decoded: list[tuple[float, int, str, str]] = []
    for order, codec in enumerate(guesses):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8":  # valid UTF-8 beyond ASCII is almost never an accident
            decoded.append((2.0, -order, codec, text))
        else:
            decoded.append((_japanese_score(text), -order, codec, text))
    why = f"declared charset {declared!r} did not decode" if label else "no charset declared"
    if decoded:
        _score, _order, codec, text = max(decoded)
        note = None if not label and codec == "utf-8" and text.isascii() else why
        return Decoded(text, codec, note)
    fallback = declared_codecs[0] if declared_codecs else "utf-8"
    return Decoded(
        data.decode(fallback, errors="replace"),
        fallback,
        f"{why}; undecodable bytes replaced with U+FFFD",
    )


def decode_header_bytes(raw: str) -> str:
    """A header value whose raw 8-bit bytes were kept as surrogates (Japanese mailers that
    skip RFC 2047) decoded by guessing; ordinary values come back unchanged."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        data = raw.encode("ascii", errors="surrogateescape")
        return decode_bytes(data, None).text
    return raw


# --- links ----------------------------------------------------------------------------

_URL = re.compile(
    r"(?i)\b(?:(?:https?|ftp|file|javascript|data|vbscript|smb|ms-[a-z-]+):(?://)?|www\.)"
    r"[^\s<>\"'\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]*"
)
_SCHEME_DEFANG = {
    "http": "hxxp",
    "https": "hxxps",
    "ftp": "fxp",
    "file": "fxle",
    "javascript": "jxvascript",
    "data": "dxta",
    "vbscript": "vbscrxpt",
    "smb": "sxb",
}
_CONTROL = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def defang(url: str) -> str:
    """A link target a reader can still read but no mail client turns into a link."""
    url = _CONTROL.sub("", url)
    scheme, sep, rest = url.partition(":")
    if sep and scheme.lower() in _SCHEME_DEFANG:
        url = _SCHEME_DEFANG[scheme.lower()] + sep + rest
    elif sep and scheme.lower().startswith("ms-"):
        url = "mx-" + scheme[3:] + sep + rest
    return url.replace(".", "[.]").replace("@", "[@]")


def neutralise_links(text: str) -> tuple[str, tuple[str, ...]]:
    """Every URL in ``text`` defanged in place; the targets found, in order, without repeats."""
    found: list[str] = []

    def _sub(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(".,;:!?)]}")
        tail = match.group(0)[len(url) :]
        safe = defang(url)
        if safe not in found:
            found.append(safe)
        return safe + tail

    return _URL.sub(_sub, text), tuple(found)


# --- HTML -----------------------------------------------------------------------------

_HTML_CONFIG = ParserConfig(display_links=False, display_images=False)


@dataclass(frozen=True)
class HtmlText:
    text: str
    links: tuple[str, ...]  # "label → defanged target" for every link and remote reference


def html_to_text(html: str) -> HtmlText:
    """Readable text (lists, tables) from HTML; scripts, styles and forms never survive."""
    links: list[str] = []
    html = html.replace("\x00", "")
    tree = None
    if html.strip():
        try:
            tree = lxml.html.document_fromstring(html)
        except (lxml.etree.ParserError, ValueError):
            tree = None
        if tree is not None:
            for el in tree.iter():
                tag = el.tag if isinstance(el.tag, str) else ""
                for attr in ("href", "src", "action", "background", "formaction", "data"):
                    target = el.get(attr)
                    if not target or target.startswith(("#", "cid:")):
                        continue
                    label = " ".join((el.text_content() if tag == "a" else "").split())[:80]
                    entry = defang(target.strip())
                    if label:
                        entry = f"{neutralise_links(label)[0]} → {entry}"
                    if entry not in links:
                        links.append(entry)
    try:
        if tree is not None:  # parsed once above, for the links: inscriptis reuses it
            text = Inscriptis(tree, _HTML_CONFIG).get_text()
        else:
            text = get_text(html, _HTML_CONFIG) if html.strip() else ""
    except (lxml.etree.ParserError, ValueError, RecursionError):
        # inscriptis gave up (malformed beyond repair): keep the words, drop the markup.
        text = re.sub(r"<[^>]*>", " ", html)
    return HtmlText(text=text, links=tuple(links))


def clean_filename(name: str | None, fallback: str) -> str:
    """A filename without path parts, control or direction-override characters."""
    if not name:
        return fallback
    name = unicodedata.normalize("NFC", _CONTROL.sub("", name))
    # Private-use, unassigned and format characters come from mis-decoded bytes and break
    # header folding; they carry nothing a reader needs.
    name = "".join(c for c in name if unicodedata.category(c) not in ("Co", "Cn", "Cs", "Cf"))
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", name).strip(" .")
    return name[:200] or fallback


# --- headers --------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")


def _word_bytes(encoding: str, payload: str) -> bytes:
    import base64  # noqa: PLC0415 - only needed for encoded words
    import binascii  # noqa: PLC0415

    if encoding.lower() == "b":
        padded = payload + "=" * (-len(payload) % 4)
        try:
            return base64.b64decode(padded)
        except (binascii.Error, ValueError):
            return payload.encode("ascii", errors="replace")
    out = bytearray()
    i = 0
    raw = payload.replace("_", " ")
    while i < len(raw):
        if (
            raw[i] == "="
            and i + 2 < len(raw) + 0
            and re.fullmatch(r"[0-9A-Fa-f]{2}", raw[i + 1 : i + 3])
        ):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.extend(raw[i].encode("utf-8", errors="replace"))
            i += 1
    return bytes(out)


def decode_header_value(raw: str) -> str:
    """A header value as text: raw 8-bit bytes guessed, RFC 2047 words decoded with the
    Japanese-aware decoder (adjacent words of one charset joined first, because mailers
    split multibyte characters across words), folding removed, controls dropped."""
    value = decode_header_bytes(raw)
    value = re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", " ").replace("\n", " ")
    value = _BETWEEN_WORDS.sub(r"\1\2", value)
    pieces: list[str] = []
    pos = 0
    pending: tuple[str, bytearray] | None = None
    for match in _ENCODED_WORD.finditer(value):
        charset = match.group(1).split("*", 1)[0]
        if match.start() != pos:
            if pending:
                pieces.append(decode_bytes(bytes(pending[1]), pending[0]).text)
                pending = None
            pieces.append(value[pos : match.start()])
        data = _word_bytes(match.group(2), match.group(3))
        if pending and pending[0].lower() == charset.lower():
            pending[1].extend(data)
        else:
            if pending:
                pieces.append(decode_bytes(bytes(pending[1]), pending[0]).text)
            pending = (charset, bytearray(data))
        pos = match.end()
    if pending:
        pieces.append(decode_bytes(bytes(pending[1]), pending[0]).text)
    pieces.append(value[pos:])
    text = "".join(pieces)
    return "".join(
        ch for ch in text if ch == "\t" or (ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF)
    )
