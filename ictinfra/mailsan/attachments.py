"""Attachments by their true type: convert to a safe form, remove, or hold the message.

Every handler returns records and deliverables; none raises for bad input: an object that
cannot be processed is removed (fail closed) with the reason, the original stays in the
quarantine.
"""

from __future__ import annotations

import bz2
import csv
import ctypes
import gzip
import hashlib
import io
import itertools
import logging
import lzma
import math
import re
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

import magic
import msoffcrypto
import olefile
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, UnidentifiedImageError

from ictinfra.mailsan import office
from ictinfra.mailsan.policy import ALWAYS_REMOVED, SanitisePolicy
from ictinfra.mailsan.records import Action, Deliverable, ObjectRecord, sha256
from ictinfra.mailsan.text import clean_filename, decode_bytes, html_to_text, neutralise_links

ARCHIVE_TYPES = {
    "application/zip",
    "application/x-zip-compressed",
    "application/gzip",
    "application/x-gzip",
    "application/x-tar",
    "application/x-bzip2",
    "application/x-xz",
}
OFFICE_PREFIXES = (
    "application/msword",
    "application/vnd.ms-",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/rtf",
    "text/rtf",
    "application/cdfv2",
    "application/x-ole-storage",
    "application/encrypted",
)
log = logging.getLogger("ictinfra.mailsan.attachments")
IMAGE_OUTPUT = {"image/jpeg": ("JPEG", "image/jpeg", ".jpg")}
_OLE_MACRO_STREAMS = {"macros", "_vba_project_cur", "vba", "_vba_project", "objectpool"}


@dataclass
class Budget:
    """Limits shared by every archive in one message, so nesting cannot multiply them."""

    members: int
    expanded: int


@dataclass
class Outcome:
    records: list[ObjectRecord] = field(default_factory=list)
    deliver: list[Deliverable] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return any(r.action is Action.HELD for r in self.records)


# The last object ``true_type`` answered for, and its answer.
_last_type: list[tuple[bytes, tuple[str, str]]] = [(b"", ("application/x-empty", "empty"))]


def true_type(data: bytes) -> tuple[str, str]:
    """(MIME type, description) from the content: libmagic, never the name or header.

    The last answer is kept for the same bytes object (identity, not equality: bytes do
    not change, and the object is held so its id cannot be reused): the sanitiser asks
    about an attachment before handing that same object to ``process``, which asks
    again, and each answer is two libmagic passes over the data."""
    if not data:
        return "application/x-empty", "empty"
    last_data, last_found = _last_type[0]
    if last_data is data:
        return last_found
    try:
        found = magic.from_buffer(data, mime=True).lower(), magic.from_buffer(data)
    except magic.MagicException:
        found = "application/octet-stream", "unrecognised"
    _last_type[0] = (data, found)
    return found


class _Ctx:
    def __init__(self, policy: SanitisePolicy, budget: Budget) -> None:
        self.policy = policy
        self.budget = budget

    def record(
        self,
        out: Outcome,
        *,
        path: str,
        declared: str | None,
        mime: str,
        data: bytes,
        action: Action,
        reason: str,
        result: Deliverable | None = None,
    ) -> None:
        out.records.append(
            ObjectRecord(
                path=path,
                declared_type=declared,
                true_type=mime,
                size=len(data),
                sha256=sha256(data),
                action=action,
                reason=reason,
                output_type=result.mime if result else None,
                output_sha256=sha256(result.data) if result else None,
            )
        )
        if result is not None:
            out.deliver.append(result)


def process(  # noqa: PLR0911, PLR0912 - one flat dispatch over true types reads best
    data: bytes,
    *,
    path: str,
    declared: str | None,
    policy: SanitisePolicy,
    budget: Budget,
    depth: int = 0,
) -> Outcome:
    """One object (attachment or archive member) at archive nesting ``depth``."""
    ctx = _Ctx(policy, budget)
    out = Outcome()
    mime, description = true_type(data)

    def done(action: Action, reason: str, result: Deliverable | None = None) -> Outcome:
        ctx.record(
            out,
            path=path,
            declared=declared,
            mime=mime,
            data=data,
            action=action,
            reason=reason,
            result=result,
        )
        return out

    # A PDF that will be converted is opened once, by ``_pdf``, which says if it is
    # encrypted: with the same words and action as here, before anything else is done.
    converted_pdf = mime == "application/pdf" and policy.allows(mime)
    encrypted = None if converted_pdf else _encrypted(data, mime, description)
    if encrypted:
        if policy.hold_encrypted:
            return done(Action.HELD, f"encrypted {encrypted}: cannot be inspected")
        return done(Action.REMOVED, f"encrypted {encrypted}: cannot be inspected")
    if mime == "application/x-empty":
        return done(Action.REMOVED, "empty attachment")
    if mime in ALWAYS_REMOVED or "executable" in description.lower():
        return done(Action.REMOVED, f"executable or script ({description[:60]})")
    if "uuencoded" in description.lower() or "binhex" in description.lower():
        # Some mail clients decode these in place: treat as the binary they carry.
        return done(Action.REMOVED, f"encoded binary ({description[:60]})")
    if mime in ARCHIVE_TYPES:
        if not policy.allows(mime):
            return done(Action.REMOVED, f"archive type {mime} is not on the allow-list")
        return _archive(ctx, out, data, path=path, declared=declared, mime=mime, depth=depth)
    if mime.startswith(OFFICE_PREFIXES):
        active = _office_active_content(data, mime)
        if active:
            # Fail closed: macro-bearing documents are the classic carrier, so they are
            # not even handed to LibreOffice; the original stays in the quarantine.
            return done(Action.REMOVED, f"Office document with {active}")
        if not policy.allows(mime):
            return done(Action.REMOVED, f"type {mime} is not on the allow-list")
        if not policy.convert_office or office.soffice() is None or mime not in office.SUFFIXES:
            return done(Action.REMOVED, "Office document: no safe converter configured")
        try:
            pdf = office.to_pdf(data, mime, policy.office_timeout)
            result, reason = _pdf(pdf, f"{PurePosixPath(path).name}.pdf", policy)
        except office.OfficeError as exc:
            return done(Action.REMOVED, f"Office document could not be converted: {exc}")
        except _Unsafe as exc:
            return done(exc.action, f"Office document converted to PDF, then {exc.reason}")
        except Exception as exc:  # noqa: BLE001 - a renderer failure on hostile output removes it
            return done(Action.REMOVED, f"could not be processed ({type(exc).__name__})")
        if result is None:
            return done(Action.REMOVED, reason)
        return done(
            Action.CONVERTED, f"Office document printed to PDF (LibreOffice); {reason}", result
        )
    if not policy.allows(mime):
        return done(Action.REMOVED, f"type {mime} is not on the allow-list")
    name = PurePosixPath(path).name
    try:
        if mime == "application/pdf":
            result, reason = _pdf(data, name, policy)
        elif mime.startswith("image/"):
            result, reason = _image(data, name, mime, policy)
        elif mime == "text/html":
            converted = html_to_text(decode_bytes(data, None).text)
            body, _ = neutralise_links(converted.text)
            listing = "".join(f"\n[{i}] {link}" for i, link in enumerate(converted.links, 1))
            text = body + ("\n\nLinks (not clickable):" + listing if listing else "")
            result = Deliverable(filename=f"{name}.txt", mime="text/plain", data=text.encode())
            reason = "HTML converted to text, links neutralised"
        elif mime.startswith("text/"):
            result, reason = _text(data, name)
        else:
            return done(Action.REMOVED, f"no safe converter for {mime}")
    except _Unsafe as exc:
        return done(exc.action, exc.reason)
    except Exception as exc:  # noqa: BLE001 - any parser failure on hostile input removes it
        return done(Action.REMOVED, f"could not be processed ({type(exc).__name__})")
    if result is None:
        return done(Action.REMOVED, reason)
    return done(Action.CONVERTED, reason, result)


# Text the recipient's programs open as plain text whatever it holds.
PLAIN_TEXT_SUFFIXES = {".txt", ".text", ".log", ".md", ".json", ".yml", ".yaml", ".ini", ".cfg"}
# Delimited data a spreadsheet opens: kept under its name once no cell can be a formula.
DELIMITED_SUFFIXES = {".csv": ",", ".tsv": "\t"}
# A cell a spreadsheet evaluates (=, +, -, @; tab and CR as OWASP's CSV-injection advice
# lists), unless the whole cell is a plain number such as -5 or +1.5e3.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _text(data: bytes, name: str) -> tuple[Deliverable, str]:
    text, links = neutralise_links(decode_bytes(data, None).text)
    filename, text, notes = _plain_text(name, text)
    reason = ", ".join(
        ["text re-encoded as UTF-8"]
        + ([f"{len(links)} links neutralised"] if links else [])
        + notes
    )
    return Deliverable(filename=filename, mime="text/plain", data=text.encode()), reason


def _plain_text(name: str, text: str) -> tuple[str, str, list[str]]:
    """The name and text a text attachment is delivered under, and what was changed.

    Text is harmless only while it is opened as text: a .csv with a DDE formula
    (``=cmd|' /c calc'!A0``) runs in a spreadsheet, and .slk, .iqy, .rtf, .xml, .hta
    or .xls names make Office or Windows interpret text. Delimited data keeps its name
    with every formula cell made literal (a leading apostrophe); any other name that
    is not plain text gets ``.txt`` appended, so it opens in a text editor.
    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in PLAIN_TEXT_SUFFIXES:
        return name, text, []
    delimiter = DELIMITED_SUFFIXES.get(suffix)
    if delimiter is None:
        return (
            f"{name}.txt",
            text,
            [f"delivered as {name}.txt (a text file named {suffix or 'without suffix'})"],
        )
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    changed = 0
    for row in rows:
        for i, cell in enumerate(row):
            if cell.lstrip(" ").startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell.strip()):
                row[i] = "'" + cell
                changed += 1
    if not changed:
        return name, text, []
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return name, out.getvalue(), [f"{changed} spreadsheet formula cells made literal"]


class _Unsafe(Exception):  # noqa: N818 - internal signal, never leaves this module
    def __init__(self, action: Action, reason: str) -> None:
        super().__init__(reason)
        self.action = action
        self.reason = reason


# --- encryption and active content ----------------------------------------------------


def _encrypted(data: bytes, mime: str, description: str) -> str | None:  # noqa: PLR0911
    """What kind of encrypted container this is, or None."""
    if mime in ("application/zip", "application/x-zip-compressed"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if any(info.flag_bits & 1 for info in zf.infolist()):
                    return "zip archive"
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        return None
    if "encrypted" in description.lower() and mime.startswith(OFFICE_PREFIXES):
        return "Office document"
    if mime == "application/pdf":
        try:
            with pikepdf.open(io.BytesIO(data)):
                return None
        except pikepdf.PasswordError:
            return "PDF"
        except pikepdf.PdfError:
            return None
    if mime in (
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
    ) or (mime.startswith("application/vnd.ms-") and olefile.isOleFile(io.BytesIO(data))):
        try:
            if msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted():
                return "Office document"
        except Exception:  # noqa: BLE001, S110 - a file msoffcrypto cannot read is not proof of encryption
            pass
    return None


def _office_active_content(data: bytes, mime: str) -> str | None:  # noqa: PLR0911
    """'macros' / 'embedded objects' when found (OLE streams, OOXML/ODF parts, RTF objects)."""
    if olefile.isOleFile(io.BytesIO(data)):
        try:
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                names = {part.lower() for entry in ole.listdir() for part in entry}
        except OSError:
            return "an unreadable OLE structure"
        if names & {"macros", "_vba_project_cur", "vba", "_vba_project"}:
            return "macros"
        if "objectpool" in names:
            return "embedded objects"
        return None
    if zipfile.is_zipfile(io.BytesIO(data)):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names_l = [n.lower() for n in zf.namelist()]
        except (zipfile.BadZipFile, OSError):
            return "an unreadable package"
        if any(
            n.endswith(("vbaproject.bin", "vbadata.xml")) or n.startswith("basic/") for n in names_l
        ):
            return "macros"
        if any(
            "/embeddings/" in n or "/activex/" in n or n.startswith("scripts/") for n in names_l
        ):
            return "embedded objects"
        return None
    if mime in ("text/rtf", "application/rtf") and (b"\\object" in data or b"\\objdata" in data):
        return "embedded objects"
    return None


# --- PDF ------------------------------------------------------------------------------

_ACTIVE_KEYS = ("/OpenAction", "/AA", "/AcroForm")
# Action types that run, fetch, send or play something (ISO 32000 12.6.4).
_ACTIVE_ACTIONS = {
    "/Launch": "Launch",
    "/SubmitForm": "SubmitForm",
    "/ImportData": "ImportData",
    "/GoToR": "GoToR (remote document)",
    "/GoToE": "GoToE (embedded document)",
    "/Rendition": "Rendition",
    "/RichMediaExecute": "RichMedia",
    "/Movie": "Movie",
    "/Sound": "Sound",
}
# Objects looked at before the scan gives up and says so (the content is removed anyway:
# only pictures of the pages leave).
_SCAN_LIMIT = 500_000


# The names the walk in ``_active_content`` reacts to, as they appear in qpdf's
# serialisation of an object (names normalised: /J#53 is written /JS). A prefix is enough
# (/EF also matches /EFF): a match only sends the object through the walk. The walk
# compares the values of /S and /Type to names, and reading a value resolves an indirect
# one, which the serialisation writes as a reference ("/S 8 0 R"): any /S or /Type given
# by reference sends the object through the walk too. (The walk's other tests, /JS and
# /EF, are keys: always written as names.)
_ACTIVE_NAME = re.compile(
    rb"/(?:JS|JavaScript|EF|EmbeddedFile|"
    + b"|".join(re.escape(action[1:].encode()) for action in _ACTIVE_ACTIONS)
    + rb")|/(?:S|Type) \d+ \d+ R"
)


def _mentions_active_name(obj: pikepdf.Object) -> bool:
    """Whether the object, with everything nested directly in it, names anything the walk
    reacts to: one serialisation in qpdf instead of a Python call per key and value."""
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    elif not isinstance(obj, pikepdf.Dictionary | pikepdf.Array):
        return False  # a number, string, name...: the walk skips it too
    try:
        return _ACTIVE_NAME.search(obj.unparse(resolved=True)) is not None
    except (pikepdf.PdfError, RuntimeError, ValueError, TypeError, AttributeError):
        return True  # not serialisable: walked as before


def _active_content(pdf: pikepdf.Pdf) -> set[str]:
    """Every kind of active content anywhere in the file, for the audit. Indirect objects
    come from the cross-reference table; the dictionaries and arrays nested directly in
    them (an action written inside its annotation, a script inside an /AA dictionary)
    are walked too: they are not objects of their own. An indirect object whose
    serialisation names none of what the walk looks for is not walked (the walk could
    find nothing in it; ten times cheaper than walking it)."""
    found: set[str] = set()
    if len(pdf.objects) > _SCAN_LIMIT:
        found.add(f"unknown (more than {_SCAN_LIMIT} objects, scan stopped)")
    todo = [obj for obj in itertools.islice(pdf.objects, _SCAN_LIMIT) if _mentions_active_name(obj)]
    scanned = 0
    while todo:
        obj = todo.pop()
        scanned += 1
        if scanned > _SCAN_LIMIT:
            found.add(f"unknown (more than {_SCAN_LIMIT} objects, scan stopped)")
            break
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            kind = obj.get("/S")
            if "/JS" in obj or kind == pikepdf.Name.JavaScript:
                found.add("JavaScript")
            if isinstance(kind, pikepdf.Name) and str(kind) in _ACTIVE_ACTIONS:
                found.add(_ACTIVE_ACTIONS[str(kind)])
            if obj.get("/Type") == pikepdf.Name.EmbeddedFile or "/EF" in obj:
                found.add("embedded files")
            children = obj.values()
        elif isinstance(obj, pikepdf.Array):
            children = iter(obj)
        else:
            continue
        # Indirect children are in pdf.objects already; direct ones cannot form cycles.
        todo.extend(
            child
            for child in children
            if isinstance(child, pikepdf.Dictionary | pikepdf.Array) and not child.is_indirect
        )
    root = pdf.Root
    found.update(key[1:] for key in _ACTIVE_KEYS if key in root)
    if any("/AA" in page.obj for page in pdf.pages):
        found.add("AA")
    return found


def _strip_active_content(pdf: pikepdf.Pdf) -> set[str]:
    """Every kind of active content found (for the audit), then the document's and the
    pages' entries that carry it removed."""
    found = _active_content(pdf)
    root = pdf.Root
    for key in (*_ACTIVE_KEYS, "/Names"):
        if key in root:
            del root[key]
    for page in pdf.pages:
        for key in ("/AA", "/Annots"):
            if key in page.obj:
                del page.obj[key]
    return found


def _pdf(data: bytes, name: str, policy: SanitisePolicy) -> tuple[Deliverable | None, str]:
    """Active content found (for the audit) and stripped (pikepdf), then every page
    rendered to an image-only PDF. When every page is a scan whose picture is delivered
    without pdfium (``_scan_picture``, ``_scan_jpeg``), the stripped file is neither
    written nor handed to pdfium: nothing of it would be used."""
    image_pdf = policy.convert_documents_to == "image_pdf"
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
            if pages > policy.max_pdf_pages:
                raise _Unsafe(
                    Action.REMOVED, f"PDF has {pages} pages (limit {policy.max_pdf_pages})"
                )
            found = _strip_active_content(pdf)
            fast: list[_Page | None] = []
            if image_pdf:
                for page in pdf.pages:
                    scan = _scan_picture(page, policy)
                    fast.append(_scan_jpeg(scan) if scan is not None else None)
            cleaned = None
            if not fast or None in fast:
                buffer = io.BytesIO()
                pdf.save(buffer)
                cleaned = buffer.getvalue()
    except pikepdf.PasswordError as exc:
        held = Action.HELD if policy.hold_encrypted else Action.REMOVED
        raise _Unsafe(held, "encrypted PDF: cannot be inspected") from exc
    except pikepdf.PdfError as exc:
        raise _Unsafe(Action.REMOVED, f"malformed PDF ({exc.__class__.__name__})") from exc
    stripped = f"; removed active content: {', '.join(sorted(found))}" if found else ""
    if not image_pdf and cleaned is not None:
        result = Deliverable(filename=f"{name}.txt", mime="text/plain", data=_pdf_text(cleaned))
        return result, "PDF converted to text" + stripped
    if cleaned is None:
        rendered = [page for page in fast if page is not None]
    else:
        rendered = _render(cleaned, fast, policy.pdf_render_scale)
    if not rendered:
        raise _Unsafe(Action.REMOVED, "PDF has no pages")
    filename = name if name.lower().endswith(".pdf") else f"{name}.pdf"
    result = Deliverable(filename=filename, mime="application/pdf", data=_image_pdf(rendered))
    return result, f"PDF rendered to an image-only PDF ({len(rendered)} pages){stripped}"


def _pdf_text(cleaned: bytes) -> bytes:
    """The text of every page (pdfium), links neutralised, pages separated by a form feed."""
    doc = pdfium.PdfDocument(cleaned)
    try:
        texts = [doc[index].get_textpage().get_text_range() for index in range(len(doc))]
    finally:
        doc.close()
    text, _ = neutralise_links("\n\f\n".join(texts))
    return text.encode()


def _render(cleaned: bytes, fast: list[_Page | None], text_scale: float) -> list[_Page]:
    """Every page as one JPEG: a scan's picture as ``_scan_jpeg`` made it, anything else
    rendered by pdfium."""
    doc = pdfium.PdfDocument(cleaned)
    try:
        if len(fast) != len(doc):  # the two parsers disagree: pdfium renders every page
            fast = [None] * len(doc)
        return [page or _page_jpeg(doc[index], text_scale) for index, page in enumerate(fast)]
    finally:
        doc.close()


# The lowest resolution a page is rendered at (72 DPI): a picture scanned coarser than
# that is still delivered at a size a reader can view.
MIN_RENDER_SCALE = 1.0
# A page with more top-level objects than this is not a simple scan: text resolution.
_SCAN_MAX_OBJECTS = 16


@dataclass(frozen=True)
class _Page:
    jpeg: bytes
    pixel_width: int
    pixel_height: int
    width: float  # points
    height: float
    colour_space: str = "/DeviceRGB"


@dataclass(frozen=True)
class _Scan:
    """A page that is one JPEG picture exactly covering it, nothing else (what a scanner
    writes): its still-encoded picture, pixel size, colour space and page size."""

    jpeg: bytes
    pixel_width: int
    pixel_height: int
    colour_space: str
    width: float
    height: float


_SCAN_COLOUR = {"/DeviceRGB": "RGB", "/DeviceGray": "L"}
_SCAN_MAX_CONTENT = 512  # bytes of (encoded) content stream
_SCAN_SPARE_KEYS = {"/Type", "/Subtype", "/Width", "/Height", "/ColorSpace", "/BitsPerComponent"}
_SCAN_SPARE_KEYS |= {"/Filter", "/Length", "/Name", "/Interpolate", "/Intent", "/Metadata"}


def _numbers(values: Iterable[object]) -> list[float] | None:
    try:
        return [float(v) for v in values]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _scan_picture(  # noqa: PLR0911, PLR0912 - one check per way a page can differ from a scan
    page: pikepdf.Page, policy: SanitisePolicy
) -> _Scan | None:
    """The page as a ``_Scan`` when it is nothing but one 8-bit RGB or grey DCT picture
    drawn over the whole page, upright and unmasked, at most at the text resolution (or
    None: pdfium renders it). Such a page looks exactly like its picture, so the picture
    written again (``_scan_jpeg``: transcoded losslessly, or decoded and re-encoded)
    gives the rendering at the picture's own resolution at a fraction of pdfium's cost."""
    try:
        obj = page.obj
        if obj.get("/Rotate", 0) != 0 or "/UserUnit" in obj:
            return None
        box = _numbers(obj.MediaBox)
        if box is None or len(box) != 4 or box[0] != 0 or box[1] != 0:
            return None
        if "/CropBox" in obj and _numbers(obj.CropBox) != box:
            return None
        width, height = box[2], box[3]
        contents = obj.get("/Contents")
        if isinstance(contents, pikepdf.Stream):
            streams: list[pikepdf.Object] = [contents]
        elif isinstance(contents, pikepdf.Array):
            streams = list(contents)
        else:
            return None
        # "q W 0 0 H 0 0 cm /Im0 Do Q" is a few dozen bytes: a longer content stream is
        # not a scan, and is not parsed here (a text page may hold 100,000 operators).
        # Compressed, 512 bytes expand to at most half a megabyte: decoded, then measured.
        length = sum(int(part.get("/Length", _SCAN_MAX_CONTENT + 1)) for part in streams)
        if not streams or length > _SCAN_MAX_CONTENT:
            return None
        if sum(len(part.read_bytes()) for part in streams) > _SCAN_MAX_CONTENT:
            return None
        ops = []
        for instruction in pikepdf.parse_content_stream(page):
            if not isinstance(instruction, pikepdf.ContentStreamInstruction):
                return None  # an inline image
            if str(instruction.operator) not in ("q", "Q"):
                ops.append((str(instruction.operator), list(instruction.operands)))
        if len(ops) != 2 or ops[0][0] != "cm" or ops[1][0] != "Do":
            return None
        if _numbers(ops[0][1]) != [width, 0, 0, height, 0, 0]:
            return None
        image = obj.Resources.XObject[str(ops[1][1][0])]
        if not isinstance(image, pikepdf.Stream) or set(image.keys()) - _SCAN_SPARE_KEYS:
            return None  # a mask, decode array, colour transform... : pdfium's job
        colour = str(image.get("/ColorSpace"))
        filters = image.get("/Filter")
        if (
            image.get("/Subtype") != pikepdf.Name.Image
            or colour not in _SCAN_COLOUR
            or image.get("/BitsPerComponent") != 8
            or filters not in (pikepdf.Name.DCTDecode, pikepdf.Array([pikepdf.Name.DCTDecode]))
        ):
            return None
        pixels_w, pixels_h = int(image.Width), int(image.Height)
        if pixels_w * pixels_h > policy.max_image_pixels or width <= 0 or height <= 0:
            return None
        if max(pixels_w / width, pixels_h / height) > policy.pdf_render_scale:
            return None  # finer than the text resolution: pdfium scales it down
        return _Scan(bytes(image.read_raw_bytes()), pixels_w, pixels_h, colour, width, height)
    except (pikepdf.PdfError, AttributeError, KeyError, TypeError, ValueError, IndexError):
        return None


def _pixels_only(image: Image.Image) -> Image.Image:
    """The image without what Pillow carries from the original file into a saved one (a
    JPEG comment, an ICC profile...): the pixels only. Cleared on our own decoded copy."""
    image.info.clear()
    return image


# --- lossless JPEG transcoding (libjpeg-turbo's TurboJPEG API, through ctypes) ---------
# From turbojpeg.h (libjpeg-turbo 2.1, Debian's libturbojpeg0).
_TJXOP_NONE = 0
_TJXOPT_COPYNONE = 64  # no marker of the source is copied (no APPn, no COM)
_TJFLAG_STOPONWARNING = 8192  # a damaged stream fails instead of being patched up
_TJFLAG_LIMITSCANS = 32768  # a progressive JPEG of more than 500 scans fails (CPU bomb)
_TJCS_YCBCR, _TJCS_GRAY = 1, 2
TURBOJPEG_SONAME = "libturbojpeg.so.0"


class _TJTransform(ctypes.Structure):
    """``tjtransform``: crop region (x, y, w, h), operation, options, custom filter."""

    _fields_ = (
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("w", ctypes.c_int),
        ("h", ctypes.c_int),
        ("op", ctypes.c_int),
        ("options", ctypes.c_int),
        ("data", ctypes.c_void_p),
        ("custom_filter", ctypes.c_void_p),
    )


def _load_turbojpeg() -> ctypes.CDLL | None:
    """The TurboJPEG library, or None (said once, when this module is loaded): scanned
    pages are then decoded and re-encoded with Pillow, as safe and four times slower."""
    try:
        lib = ctypes.CDLL(TURBOJPEG_SONAME)
    except OSError:
        log.warning(
            "%s (Debian package libturbojpeg0) not found: scanned PDF pages are decoded "
            "and re-encoded with Pillow instead of transcoded losslessly (slower)",
            TURBOJPEG_SONAME,
        )
        return None
    handle, buffer, size = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulong
    lib.tjInitTransform.restype = handle
    lib.tjInitTransform.argtypes = ()
    lib.tjDestroy.argtypes = (handle,)
    lib.tjFree.argtypes = (ctypes.c_void_p,)
    lib.tjDecompressHeader3.argtypes = (handle, buffer, size, *[ctypes.POINTER(ctypes.c_int)] * 4)
    lib.tjTransform.argtypes = (
        handle,
        buffer,
        size,
        ctypes.c_int,
        ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)),
        ctypes.POINTER(size),
        ctypes.POINTER(_TJTransform),
        ctypes.c_int,
    )
    return lib


TURBOJPEG = _load_turbojpeg()


def transcode_jpeg(jpeg: bytes, width: int, height: int, *, grey: bool) -> bytes | None:
    """``jpeg`` written again by libjpeg-turbo from its quantised DCT coefficients (what
    ``jpegtran -copy none`` does), or None when it is not an 8-bit ``width`` x ``height``
    YCbCr (``grey``: one-component) DCT JPEG quantised with the standard tables that reads
    without a single warning, or the library is missing: the caller then decodes it with
    Pillow (which writes tables of its own).

    What survives of the original: exactly the quantised coefficients, i.e. the pixels
    (decoded, the result is the original's pixels bit for bit, as pdfium renders them,
    laid out in the original's sampling), and which of the standard quantisation tables
    (Annex K's luminance or chrominance table scaled for one of the 100 IJG quality
    levels) each component is quantised with. Nothing else: a JPEG quantised with any
    other table (a table is 64 bytes of the sender's choice, which the transcoder would
    copy) or with 16-bit tables is refused. Every marker segment (APPn: EXIF, ICC, XMP,
    Adobe; COM; anything unknown; restart markers) is dropped; the JFIF header is our
    canonical one (version 1.01, no density unit, 1:1, no thumbnail: the page's size is in
    the PDF), the frame and scan headers number the components 1, 2, 3 and the tables in
    order of use, whatever the original's numbers (``_canonical_baseline``); the Huffman
    tables are the standard ones (Annex K) whatever the original's were, the
    entropy-coded data is coded anew as one baseline sequential scan (SOF0) whatever the
    original's coding (progressive, arithmetic, restart intervals); nothing after the end
    marker is read. (A baseline original coded with the standard tables gives the same
    entropy-coded bytes again: they are a function of the coefficients, regenerated, not
    copied.) Every coefficient is entropy-decoded: a stream that does not decode
    completely, or whose coefficients a baseline JPEG cannot code, fails. Unlike Pillow's
    decode and re-encode, the original's coefficient values reach the reader's decoder,
    within what any baseline decoder must accept."""
    lib = TURBOJPEG
    if lib is None or not _standard_quantisation(jpeg):
        return None
    handle = lib.tjInitTransform()
    if not handle:
        return None
    out = ctypes.POINTER(ctypes.c_ubyte)()
    try:
        found = [ctypes.c_int() for _ in range(4)]  # width, height, subsampling, colour space
        header = lib.tjDecompressHeader3(handle, jpeg, len(jpeg), *map(ctypes.byref, found))
        # RGB-coded (no colour transform), CMYK and YCCK JPEGs: Pillow's path, as before.
        expected = (width, height, _TJCS_GRAY if grey else _TJCS_YCBCR)
        if header != 0 or (found[0].value, found[1].value, found[3].value) != expected:
            return None
        size = ctypes.c_ulong(0)
        transform = _TJTransform(op=_TJXOP_NONE, options=_TJXOPT_COPYNONE)
        flags = _TJFLAG_STOPONWARNING | _TJFLAG_LIMITSCANS
        status = lib.tjTransform(
            handle, jpeg, len(jpeg), 1, ctypes.byref(out), ctypes.byref(size), transform, flags
        )
        if status != 0 or not out:
            return None
        written = ctypes.string_at(out, size.value)
    finally:
        if out:
            lib.tjFree(out)
        lib.tjDestroy(handle)
    return _canonical_baseline(written)


# ITU T.81 Annex K's example quantisation tables (libjpeg's jcparam.c
# std_luminance_quant_tbl and std_chrominance_quant_tbl), row by row.
_LUMINANCE_TABLE = (
    *(16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55),
    *(14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62),
    *(18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92),
    *(49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99),
)
_CHROMINANCE_TABLE = (
    *(17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99),
    *(24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, *(99,) * 5),
    *(99,) * 32,
)
# The row-by-row index of each coefficient in the zigzag order a DQT segment lists them in
# (libjpeg's jpeg_natural_order): diagonal by diagonal, alternately up and down.
_ZIGZAG = sorted(range(64), key=lambda n: (n // 8 + n % 8, (n // 8) * (-1) ** (n // 8 + n % 8 + 1)))


def _quality_table(basic: tuple[int, ...], quality: int) -> bytes:
    """``basic`` scaled for an IJG quality level as a DQT segment lists it: libjpeg's
    jpeg_quality_scaling, then jpeg_add_quant_table with force_baseline (Pillow's)."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return bytes(min(max((basic[n] * scale + 50) // 100, 1), 255) for n in _ZIGZAG)


# The only tables a transcoded JPEG may carry (computed once).
_STANDARD_TABLES = frozenset(
    _quality_table(basic, quality)
    for basic in (_LUMINANCE_TABLE, _CHROMINANCE_TABLE)
    for quality in range(1, 101)
)


def _table_slots(payload: bytes) -> list[int] | None:
    """The table slots one DQT segment defines (it may define several), or None when it
    is malformed, empty, or defines a table that is not 8-bit and standard."""
    slots = []
    at = 0
    while at < len(payload):
        if payload[at] > 3:  # high nibble: precision (0: 8-bit), low nibble: slot 0..3
            return None
        if payload[at + 1 : at + 65] not in _STANDARD_TABLES:  # a short one is not either
            return None
        slots.append(payload[at])
        at += 65
    return slots or None


def _segments(jpeg: bytes) -> list[tuple[int, int, int]] | None:
    """(marker, start, end) of each marker segment from SOI up to and including the first
    SOS, or None when that part is not a well-formed sequence of segments (fill bytes,
    markers without a length, lengths beyond the end: not taken)."""
    if not jpeg.startswith(b"\xff\xd8"):
        return None
    found = []
    at = 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF:
        marker = jpeg[at + 1]
        end = at + 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
        if marker < 0xC0 or 0xD0 <= marker <= 0xD9 or marker == 0xFF or not at + 4 <= end:
            return None
        if end > len(jpeg):
            return None
        found.append((marker, at, end))
        if marker == 0xDA:
            return found
        at = end
    return None


def _standard_quantisation(jpeg: bytes) -> bool:
    """Whether every quantisation table the original defines before its first scan is a
    standard one (and its header parses): a cheap refusal before transcoding. The
    transcoder's output is checked again (a table may be defined between scans)."""
    segments = _segments(jpeg)
    return segments is not None and all(
        _table_slots(jpeg[start + 4 : end]) is not None
        for marker, start, end in segments
        if marker == 0xDB
    )


# What the encoder writes before the scan, and nothing else: JFIF header, quantisation
# tables, baseline frame, Huffman tables. SOF1 (quantisation tables of 16-bit entries)
# or any other segment: Pillow's path instead, whose output has 8-bit tables.
_FRESH_SEGMENTS = {0xE0, 0xDB, 0xC0, 0xC4}
# libjpeg's default JFIF header: version 1.01, no unit, density 1:1, no thumbnail.
_JFIF_APP0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def _canonical_baseline(jpeg: bytes) -> bytes | None:  # noqa: PLR0911 - one check a line
    """``jpeg`` (the transcoder's output) with what libjpeg copies from the original's
    header into its own written canonically: the JFIF header replaced by ours, the
    components numbered 1, 2, 3 and the quantisation tables 0, 1, 2 in order of first
    use; or None when it is not SOI, the segments libjpeg writes for a baseline JPEG
    (quantisation tables all standard), one SOS: checked, not assumed, since nothing
    else may leave."""
    segments = _segments(jpeg)
    if segments is None or not jpeg.endswith(b"\xff\xd9"):
        return None
    markers = [marker for marker, _, _ in segments[:-1]]
    if not set(markers) <= _FRESH_SEGMENTS or markers.count(0xC0) != 1 or markers.count(0xE0) > 1:
        return None
    (frame,) = (jpeg[start:end] for marker, start, end in segments if marker == 0xC0)
    count = frame[9] if len(frame) >= 10 else 0
    if count == 0 or frame[4] != 8 or len(frame) != 10 + 3 * count:
        return None
    if len(set(frame[10::3])) != count:  # two components of one number
        return None
    ids = {original: number for number, original in enumerate(frame[10::3], 1)}
    slots: dict[int, int] = {}  # original table slot -> ours, in order of first use
    for slot in frame[12::3]:
        slots.setdefault(slot, len(slots))
    defined: list[int] = []
    for marker, start, end in segments:
        tables = _table_slots(jpeg[start + 4 : end]) if marker == 0xDB else []
        if tables is None:
            return None  # a table that is not a standard one
        defined += tables
    if sorted(defined) != sorted(slots):
        return None  # a table not used, defined twice, or used and not defined
    pieces = [b"\xff\xd8"]
    for marker, start, end in segments:
        segment = _renumbered(marker, bytearray(jpeg[start:end]), ids, slots)
        if segment is None:
            return None
        pieces.append(segment)
    pieces.append(jpeg[segments[-1][2] :])
    return b"".join(pieces)


def _renumbered(
    marker: int, segment: bytearray, ids: dict[int, int], slots: dict[int, int]
) -> bytes | None:
    """One segment of the transcoder's output as ``_canonical_baseline`` writes it."""
    if marker == 0xE0:
        return _JFIF_APP0 if segment.startswith(b"JFIF\x00", 4) else None
    if marker == 0xDB:  # tables of 65 bytes each, checked standard
        for at in range(4, len(segment), 65):
            segment[at] = slots[segment[at]]
    elif marker == 0xC0:
        for at in range(10, len(segment), 3):
            segment[at] = ids[segment[at]]
            segment[at + 2] = slots[segment[at + 2]]
    elif marker == 0xDA:
        scanned = segment[4] if len(segment) >= 5 else 0
        if scanned == 0 or len(segment) != 8 + 2 * scanned:
            return None
        for at in range(5, 5 + 2 * scanned, 2):
            if segment[at] not in ids:
                return None
            segment[at] = ids[segment[at]]
    return bytes(segment)


def _scan_jpeg(scan: _Scan) -> _Page | None:
    """The scanned picture without anything of the original bytes, at least at 72 DPI:
    transcoded losslessly (``transcode_jpeg``) when it is shown at 72 DPI or finer,
    otherwise (or when the transcoder refuses it) decoded and re-encoded by Pillow;
    None when it is not the JPEG its dictionary says."""
    upscale = min(scan.pixel_width / scan.width, scan.pixel_height / scan.height) < (
        MIN_RENDER_SCALE
    )
    if not upscale:
        grey = scan.colour_space == "/DeviceGray"
        jpeg = transcode_jpeg(scan.jpeg, scan.pixel_width, scan.pixel_height, grey=grey)
        if jpeg is not None:
            return _Page(
                jpeg,
                scan.pixel_width,
                scan.pixel_height,
                scan.width,
                scan.height,
                scan.colour_space,
            )
    buffer = io.BytesIO()
    try:
        with Image.open(io.BytesIO(scan.jpeg), formats=["JPEG"]) as picture:
            if picture.size != (scan.pixel_width, scan.pixel_height):
                return None
            if picture.mode != _SCAN_COLOUR[scan.colour_space]:
                return None
            picture.load()
            decoded: Image.Image = picture
            if upscale:  # as pdfium would: up to 72 DPI
                size = (
                    math.ceil(scan.width * MIN_RENDER_SCALE),
                    math.ceil(scan.height * MIN_RENDER_SCALE),
                )
                decoded = picture.resize(size, Image.Resampling.BILINEAR)
            _pixels_only(decoded).save(buffer, format="JPEG", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return _Page(
        buffer.getvalue(),
        decoded.width,
        decoded.height,
        scan.width,
        scan.height,
        "/DeviceGray" if decoded.mode == "L" else "/DeviceRGB",
    )


def render_scale(page: pdfium.PdfPage, text_scale: float) -> float:
    """The scale one page is rendered at: ``text_scale`` (the policy's, 1.5 = 108 DPI) for
    anything with text, vector drawing, shading or form content; for a page showing
    only pictures (a scan), the pictures' own resolution on the page, between 72 DPI and
    ``text_scale``: rendering a 72-DPI scan at 108 DPI adds pixels, not information."""
    raw = page.raw
    count = pdfium_c.FPDFPage_CountObjects(raw)
    if count < 1 or count > _SCAN_MAX_OBJECTS:
        return text_scale
    native = 0.0
    for index in range(count):
        obj = pdfium_c.FPDFPage_GetObject(raw, index)
        if not obj or pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_IMAGE:
            return text_scale
        width, height = ctypes.c_uint(), ctypes.c_uint()
        matrix = pdfium_c.FS_MATRIX()
        if not pdfium_c.FPDFImageObj_GetImagePixelSize(
            obj, width, height
        ) or not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
            return text_scale
        # The image's unit square is drawn along (a, b) and (c, d), in points.
        across, down = math.hypot(matrix.a, matrix.b), math.hypot(matrix.c, matrix.d)
        if across <= 0 or down <= 0:
            return text_scale
        native = max(native, width.value / across, height.value / down)
    return min(text_scale, max(MIN_RENDER_SCALE, native))


def _page_jpeg(page: pdfium.PdfPage, text_scale: float) -> _Page:
    """One page rendered (pdfium, no annotations or form fields: they were stripped and
    forms are never initialised) and JPEG-encoded once (Pillow). Always in colour: pdfium's
    grey mode renders slower here, and testing a page for colour (1 ms per page) costs
    more than a grey JPEG saves (0.3 ms, 3 % of the size: libjpeg's subsampled chroma of
    a grey page is almost free)."""
    width, height = page.get_size()
    bitmap = page.render(
        scale=render_scale(page, text_scale),
        may_draw_forms=False,
        draw_annots=False,
        rev_byteorder=True,
        prefer_bgrx=True,  # RGBX: handed to Pillow without a copy or a conversion
    )
    image = bitmap.to_pil()
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return _Page(buffer.getvalue(), image.width, image.height, width, height)


def _image_pdf(pages: list[_Page]) -> bytes:
    """A PDF whose pages are nothing but one JPEG each, embedded as is (DCTDecode: no
    decoding or re-encoding), at the original page size. Written directly: a catalog, a
    page tree, and per page its dictionary, image and one-line content stream; nothing
    else can be in it (no fonts, actions, names or annotations)."""
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: page tree (filled in below)
    kids = []
    for page in pages:
        number = len(objects) + 1  # page, image, content follow
        kids.append(f"{number} 0 R")
        draw = f"q {page.width:.2f} 0 0 {page.height:.2f} 0 0 cm /Im0 Do Q".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page.width:.2f} {page.height:.2f}]"
            f" /Resources << /XObject << /Im0 {number + 1} 0 R >> >>"
            f" /Contents {number + 2} 0 R >>".encode()
        )
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {page.pixel_width}"
            f" /Height {page.pixel_height} /ColorSpace {page.colour_space} /BitsPerComponent 8"
            f" /Filter /DCTDecode /Length {len(page.jpeg)} >>\nstream\n".encode()
            + page.jpeg
            + b"\nendstream"
        )
        objects.append(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    # The file ID from the content, not from the clock: the same original always gives the
    # same bytes, so a pass repeated after a crash recognises what it already delivered.
    ident = hashlib.sha256(out).hexdigest()[:32]
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /ID [<{ident}> <{ident}>] >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


# --- images ---------------------------------------------------------------------------


def _image(
    data: bytes, name: str, mime: str, policy: SanitisePolicy
) -> tuple[Deliverable | None, str]:
    """Decoded and re-encoded: metadata, trailing data and exploit payloads do not survive."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            pixels = img.width * img.height
            if pixels > policy.max_image_pixels:
                raise _Unsafe(Action.REMOVED, f"image of {pixels} pixels exceeds the limit")
            img.seek(0)
            frame = img.convert("RGBA" if img.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _Unsafe(Action.REMOVED, f"image could not be decoded ({type(exc).__name__})") from exc
    fmt, out_mime, ext = IMAGE_OUTPUT.get(mime, ("PNG", "image/png", ".png"))
    if fmt == "JPEG":
        frame = frame.convert("RGB")
    buffer = io.BytesIO()
    _pixels_only(frame).save(buffer, format=fmt)
    stem = PurePosixPath(name).stem or "image"
    result = Deliverable(filename=stem + ext, mime=out_mime, data=buffer.getvalue())
    return result, f"image re-encoded as {fmt}"


# --- archives -------------------------------------------------------------------------


def _archive(
    ctx: _Ctx,
    out: Outcome,
    data: bytes,
    *,
    path: str,
    declared: str | None,
    mime: str,
    depth: int,
) -> Outcome:
    """Open recursively within the shared budget; rebuild a zip of what is safe."""
    policy, budget = ctx.policy, ctx.budget

    def finish(action: Action, reason: str, result: Deliverable | None = None) -> Outcome:
        ctx.record(
            out,
            path=path,
            declared=declared,
            mime=mime,
            data=data,
            action=action,
            reason=reason,
            result=result,
        )
        return out

    if depth >= policy.archive_max_depth:
        return finish(
            Action.REMOVED, f"archive nested deeper than {policy.archive_max_depth} levels"
        )
    inner = Outcome()
    try:
        members = list(_members(data, mime, budget, policy))
    except _Unsafe as exc:
        return finish(exc.action, exc.reason)
    except (
        zipfile.BadZipFile,
        tarfile.TarError,
        OSError,
        EOFError,
        lzma.LZMAError,
        ValueError,
        NotImplementedError,
    ) as exc:
        return finish(Action.REMOVED, f"archive could not be read ({type(exc).__name__})")
    for member_name, member_data in members:
        sub = process(
            member_data,
            path=f"{path}/{member_name}",
            declared=None,
            policy=policy,
            budget=budget,
            depth=depth + 1,
        )
        inner.records.extend(sub.records)
        inner.deliver.extend(
            Deliverable(
                filename=str(PurePosixPath(member_name).parent / d.filename),
                mime=d.mime,
                data=d.data,
            )
            for d in sub.deliver
        )
    out.records.extend(inner.records)
    if inner.held:
        return finish(Action.HELD, "archive contains encrypted content")
    if not inner.deliver:
        return finish(Action.REMOVED, f"nothing safe inside ({len(members)} members)")
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for item in inner.deliver:
            zf.writestr(item.filename.lstrip("./") or "file", item.data)
    stem = PurePosixPath(path).name
    filename = stem if stem.lower().endswith(".zip") else f"{stem}.zip"
    result = Deliverable(filename=filename, mime="application/zip", data=rebuilt.getvalue())
    kept = len(inner.deliver)
    return finish(
        Action.CONVERTED, f"archive rebuilt with {kept} of {len(members)} members sanitised", result
    )


def _take(budget: Budget, name: str, declared_size: int | None = None) -> None:
    if budget.members <= 0:
        raise _Unsafe(Action.REMOVED, "too many archive members (limit reached)")
    budget.members -= 1
    if declared_size is not None and declared_size > budget.expanded:
        raise _Unsafe(Action.REMOVED, f"archive expands beyond the limit ({name})")


def _read_capped(
    stream: IO[bytes],
    budget: Budget,
    name: str,
) -> bytes:
    # Declared sizes lie in zip bombs: read at most what is left of the budget, plus one.
    chunks: list[bytes] = []
    while True:
        chunk = stream.read(min(1 << 20, budget.expanded + 1))
        if not chunk:
            break
        budget.expanded -= len(chunk)
        if budget.expanded < 0:
            raise _Unsafe(Action.REMOVED, f"archive expands beyond the limit ({name})")
        chunks.append(chunk)
    return b"".join(chunks)


def _safe_name(name: str) -> str:
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("/", "..", ".")]
    return "/".join(clean_filename(p, "file") for p in parts) or "file"


def _members(
    data: bytes, mime: str, budget: Budget, policy: SanitisePolicy
) -> Iterator[tuple[str, bytes]]:
    if mime in ("application/zip", "application/x-zip-compressed"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if any(i.flag_bits & 1 for i in infos):
                raise _Unsafe(
                    Action.HELD if policy.hold_encrypted else Action.REMOVED,
                    "encrypted zip archive: cannot be inspected",
                )
            if len(infos) > budget.members:
                raise _Unsafe(
                    Action.REMOVED, f"archive has {len(infos)} members (limit {budget.members})"
                )
            if sum(i.file_size for i in infos) > budget.expanded:
                raise _Unsafe(Action.REMOVED, "archive declares more expanded bytes than the limit")
            for info in infos:
                _take(budget, info.filename)
                with zf.open(info) as fh:
                    yield _safe_name(info.filename), _read_capped(fh, budget, info.filename)
        return
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 - closed below
    except tarfile.ReadError:
        tf = None
    if tf is not None:
        with tf:
            for ti in tf:
                if not ti.isfile():
                    continue
                _take(budget, ti.name, ti.size)
                member = tf.extractfile(ti)
                if member is not None:
                    yield _safe_name(ti.name), _read_capped(member, budget, ti.name)
        return
    # A compressed single file (gzip/bzip2/xz without tar).
    opener = {"application/x-bzip2": bz2.BZ2File, "application/x-xz": lzma.LZMAFile}.get(
        mime, gzip.GzipFile
    )
    _take(budget, "compressed")
    with opener(io.BytesIO(data)) as stream:
        yield "decompressed", _read_capped(stream, budget, "compressed stream")
