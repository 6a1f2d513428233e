"""What a file is and how its text is encoded: the kind sniffed from its first bytes (CSV, XLSX, or an
image, PDF or archive refused), UTF-8, UTF-16, Windows-1252 or Mac Roman told apart, and a text file
rewritten as UTF-8 for DuckDB's reader."""

from __future__ import annotations

import codecs
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from lib.core.errors import RefusedFile

# The encodings a refusal names as the ones Floorline reads.
READABLE_ENCODINGS = "UTF-8, UTF-16, Windows-1252 or Mac Roman (save as 'CSV UTF-8')"
CUT_OFF = "the download looks cut off"

MAGIC = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) or Office file; save it as .xlsx or CSV",
}


def sniff_kind(head: bytes, file_name: str) -> str:
    if not head:
        raise RefusedFile(file_name, "the file is empty")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            raise RefusedFile(file_name, f"this is {what}, not a CSV or XLSX export")
    return "csv"


def sniff_encoding(head: bytes, file_name: str, *, whole_file: bool = False) -> str:
    """The file's encoding, from its first bytes (``whole_file`` when they are all of it)."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise RefusedFile(file_name, "the file is UTF-32 text", expected=READABLE_ENCODINGS)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le-bom"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be-bom"
    sample = head[:4096]
    if b"\x00" in sample:
        # UTF-16 without a BOM shows as ASCII letters alternating with NUL bytes.
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
            return "utf-16-le"
        if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
            return "utf-16-be"
        raise RefusedFile(
            file_name, "the file holds binary data (NUL bytes), not text", expected="a CSV or XLSX export"
        )
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and error.end == len(head):
            if whole_file:
                # Valid UTF-8 up to a character the file's last bytes only begin.
                raise RefusedFile(
                    file_name, f"{CUT_OFF}: it ends in the middle of a character; download the export again"
                ) from None
            return "utf-8"  # a character cut by the sample's end, not by the file's
        looks_like_utf8 = len(UTF8_SEQUENCE.findall(head)) >= max(1, len(HIGH_BYTE_RUN.findall(head)) // 2)
        if looks_like_utf8:
            # Mostly well-formed UTF-8 with a broken sequence: Windows-1252 would turn it into mojibake.
            line = head.count(b"\n", 0, error.start) + 1
            raise RefusedFile(
                file_name, "the text is not valid UTF-8 here", row=line, expected=READABLE_ENCODINGS
            ) from None
    return _single_byte_encoding(head, file_name)


def _single_byte_encoding(head: bytes, file_name: str) -> str:
    """Windows-1252 or Mac Roman (Excel for Mac's "CSV (Macintosh)"), each only when its reading is text a
    person wrote; never one mistaken for the other.

    Both decode almost any byte, so the text decides: Mac Roman is read when its reading has no
    implausible character and the Windows-1252 reading has one ('CafŽ', 'ZŸrich', 'Espa–a' are
    Mac Roman's 'Café', 'Zürich', 'España'), or when both read plausibly and the lines end in a
    lone CR, as Excel for Mac writes them. Otherwise Windows-1252, on the rules it always had.
    """
    cp1252_plausible = plausible_cp1252(head)
    if _plausible_mac_roman(head) and (
        not cp1252_plausible or _implausible_characters(head.decode("cp1252")) or _ends_lines_in_cr_only(head)
    ):
        return "mac_roman"
    if cp1252_plausible:
        return "cp1252"
    raise RefusedFile(file_name, "the text is in an encoding Floorline cannot read", expected=READABLE_ENCODINGS)


def describe_single_byte(encoding: str, head: bytes) -> str:
    """How a single-byte encoding was told: the letters it gives where the other would give signs."""
    other = "cp1252" if encoding == "mac_roman" else "mac_roman"
    mine, theirs = head.decode(encoding), head.decode(other, errors="replace")
    found = re.search(r"[^\s,;|\"]*[^\x00-\x7f][^\s,;|\"]*", mine)
    word = found.group()[:30] if found else ""
    said = f"{ENCODING_LABEL[encoding]}: '{word}' reads as written" if word else ENCODING_LABEL[encoding]
    position = mine.find(word) if word else -1
    if position >= 0:
        said += f" (as {ENCODING_LABEL[other]} it would be '{theirs[position : position + len(word)]}')"
    if encoding == "mac_roman":
        said += "; Excel for Mac's 'CSV (Macintosh)'" + (", lines ending in CR" if _ends_lines_in_cr_only(head) else "")
    return said


def _ends_lines_in_cr_only(head: bytes) -> bool:
    return b"\r" in head and b"\n" not in head


# A well-formed multi-byte UTF-8 character; and a run of bytes outside ASCII.
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]+")
# Windows-1252 text is mostly ASCII: an accented letter or a typographic mark now and then, seldom
# three in a row. Shift-JIS, EUC, Big5 or EBCDIC text is runs of high bytes, or control bytes.
IMPLAUSIBLE_CP1252 = re.compile(rb"[\x80-\xff]{3}|[\x01-\x08\x0b\x0e-\x1f\x7f]")
# ... and a sign such as ¥, §, ¤ or ¦ glued to the letter after it is a double-byte character
# (Big5, GBK, Shift-JIS) whose second byte is ASCII. Quotes, dashes, « » ¿ ¡ ° © ® µ ª º · ´
# may stand before a letter in text a person wrote (25°C, µs, l·l, don´t).
SIGN_BEFORE_LETTER = re.compile(r"[¢£¤¥¦§¨¬¯±²³¶¸¹¼½¾](?=[A-Za-z])")


# Mac Roman puts its signs where Windows-1252 has letters (0xA0-0xFF): one glued to the letter after it
# ('•x•_' is Big5's 台北), or any sign between two letters, is not text a person wrote.
MAC_SIGN_BEFORE_LETTER = re.compile(r"[†¢£§•¶®©™´¨≠∞±≤≥¥∂∑∏π∫Ω¬√ƒ≈∆◊⁄¤‡‰ˆ˜¯˘˙˚¸˝˛ˇ](?=[A-Za-z])")
# Marks that stand before or after a word in text a person wrote ('“EMEA”', '¿Qué', 'Zendesk®', 'm²'); any
# other sign glued to a letter is a letter of another encoding ('voil‡', 'Bjˆrn' are Windows-1252's 'voilà',
# 'Björn' read as Mac Roman). Between two letters only an apostrophe (Dublin’s) and, not between small
# letters, a dash (A–Z) stand: 'Espa–a' is Mac Roman's 'España'.
MARKS_BEFORE_WORDS = "‘“«»‹›¿¡–—°"
MARKS_AFTER_WORDS = "’”«»‹›…®™©¹²³°–—"


def _plausible_mac_roman(data: bytes) -> bool:
    """Whether bytes read as Mac Roman give text a person wrote: the Windows-1252 rules, and no
    implausible character (``_implausible_characters``)."""
    text = data.decode("mac_roman")
    return (
        IMPLAUSIBLE_CP1252.search(data) is None
        and MAC_SIGN_BEFORE_LETTER.search(text) is None
        and not _implausible_characters(text)
    )


def _implausible_characters(text: str) -> int:
    """Characters outside ASCII that text a person wrote does not hold where they stand: a capital inside a
    lower-case word ('CafŽ', 'ZŸrich', 'CafÈ'), a small letter against a run of capitals ('ìEMEAî'), a sign
    glued to a letter ('voil‡', 'Bjˆrn', 'Z¸rich') or a dash between two small letters ('Espa–a')."""
    count = 0
    for found in re.finditer(r"[^\x00-\x7f]", text):
        at, character = found.start(), found.group()
        before = text[at - 1] if at else " "
        after = text[at + 1] if at + 1 < len(text) else " "
        if unicodedata.category(character) in ("Lu", "Ll") and character != "ƒ":
            capital_in_small_word = character.isupper() and before.isalpha() and (before.islower() or after.islower())
            small_beside_capitals = character.islower() and (
                (before.isupper() and text[at - 2 : at - 1].isupper())
                or (after.isupper() and text[at + 2 : at + 3].isupper())
            )
            count += capital_in_small_word or small_beside_capitals
        elif character == "·":
            count += before.isalpha() and after.isalpha() and not (before in "lL" and after in "lL")  # l·l only
        elif before.isalpha() and after.isalpha():
            count += not (character == "’" or (character in "–—" and not (before.islower() and after.islower())))
        elif after.isalpha():
            count += character not in MARKS_BEFORE_WORDS
        elif before.isalpha():
            count += character not in MARKS_AFTER_WORDS
    return count


def plausible_cp1252(data: bytes) -> bool:
    """Whether bytes read as Windows-1252 would give the text a person wrote, not mojibake."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return IMPLAUSIBLE_CP1252.search(data) is None and SIGN_BEFORE_LETTER.search(text) is None


PYTHON_CODEC = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16-le-bom": "utf-16",
    "utf-16-be-bom": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp1252": "cp1252",
    "mac_roman": "mac_roman",
}

ENCODING_LABEL = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16-le-bom": "UTF-16 (little-endian, BOM)",
    "utf-16-be-bom": "UTF-16 (big-endian, BOM)",
    "utf-16-le": "UTF-16 (little-endian)",
    "utf-16-be": "UTF-16 (big-endian)",
    "cp1252": "Windows-1252",
    "mac_roman": "Mac Roman",
    "xlsx": "XLSX",
}


# The single-byte encodings, each with its test that a part of the file still reads as text a person wrote.
PLAUSIBLE_SINGLE_BYTE = {"cp1252": plausible_cp1252, "mac_roman": _plausible_mac_roman}


def transcode_to_utf8(path: Path, encoding: str, file_name: str) -> Path:
    """Rewrite a non-UTF-8 text file as UTF-8, a chunk at a time."""
    decoder = codecs.getincrementaldecoder(PYTHON_CODEC[encoding])(errors="strict")
    handle, name = tempfile.mkstemp(prefix="floorline-", suffix=".csv")
    offset = lines = 0
    try:
        with open(path, "rb") as source, os.fdopen(handle, "w", encoding="utf-8", newline="") as target:
            while chunk := source.read(1024 * 1024):
                if encoding in PLAUSIBLE_SINGLE_BYTE and not PLAUSIBLE_SINGLE_BYTE[encoding](chunk):
                    # The start read as Windows-1252; this part does not: another encoding after all.
                    raise RefusedFile(
                        file_name, "the text is in an encoding Floorline cannot read", expected=READABLE_ENCODINGS
                    )
                try:
                    target.write(decoder.decode(chunk))
                except UnicodeDecodeError as error:
                    raise RefusedFile(
                        file_name,
                        f"byte {offset + error.start:,} is not valid {ENCODING_LABEL[encoding]} text",
                        row=lines + chunk.count(b"\n", 0, error.start) + 1
                        if encoding in PLAUSIBLE_SINGLE_BYTE
                        else None,
                        expected=READABLE_ENCODINGS,
                    ) from None
                offset += len(chunk)
                lines += chunk.count(b"\n")
            try:
                target.write(decoder.decode(b"", final=True))
            except UnicodeDecodeError:
                raise RefusedFile(
                    file_name, f"{CUT_OFF}: it ends in the middle of a character; download the export again"
                ) from None
    except BaseException:
        Path(name).unlink(missing_ok=True)  # a refused file leaves nothing behind
        raise
    return Path(name)
