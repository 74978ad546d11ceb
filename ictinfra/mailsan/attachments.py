"""Attachments by their true type: convert to a safe form, remove, or hold the message.

Every handler returns records and deliverables; none raises for bad input: an object that
cannot be processed is removed (fail closed) with the reason, the original stays in the
quarantine.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

import magic
import msoffcrypto
import olefile
import pikepdf
import pypdfium2 as pdfium
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


def true_type(data: bytes) -> tuple[str, str]:
    """(MIME type, description) from the content: libmagic, never the name or header."""
    if not data:
        return "application/x-empty", "empty"
    try:
        return magic.from_buffer(data, mime=True).lower(), magic.from_buffer(data)
    except magic.MagicException:
        return "application/octet-stream", "unrecognised"


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

    encrypted = _encrypted(data, mime, description)
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


def _pdf(  # noqa: PLR0912 - each active-content kind is its own check
    data: bytes, name: str, policy: SanitisePolicy
) -> tuple[Deliverable | None, str]:
    """Active content stripped (pikepdf), then every page rendered to an image-only PDF."""
    found: set[str] = set()
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
            if pages > policy.max_pdf_pages:
                raise _Unsafe(
                    Action.REMOVED, f"PDF has {pages} pages (limit {policy.max_pdf_pages})"
                )
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary):
                    kind = obj.get("/S")
                    if "/JS" in obj or kind == pikepdf.Name.JavaScript:
                        found.add("JavaScript")
                    if kind in (
                        pikepdf.Name.Launch,
                        pikepdf.Name.SubmitForm,
                        pikepdf.Name.ImportData,
                    ):
                        found.add(str(kind)[1:])
                    if obj.get("/Type") == pikepdf.Name.EmbeddedFile or "/EF" in obj:
                        found.add("embedded files")
            root = pdf.Root
            for key in (*_ACTIVE_KEYS, "/Names"):
                if key in root:
                    if key != "/Names":
                        found.add(key[1:])
                    del root[key]
            for page in pdf.pages:
                for key in ("/AA", "/Annots"):
                    if key in page.obj:
                        del page.obj[key]
            cleaned = io.BytesIO()
            pdf.save(cleaned)
    except pikepdf.PdfError as exc:
        raise _Unsafe(Action.REMOVED, f"malformed PDF ({exc.__class__.__name__})") from exc
    stripped = f"; removed active content: {', '.join(sorted(found))}" if found else ""
    doc = pdfium.PdfDocument(cleaned.getvalue())
    try:
        if policy.convert_documents_to == "text":
            texts = []
            for index in range(len(doc)):
                textpage = doc[index].get_textpage()
                texts.append(textpage.get_text_range())
            text, _ = neutralise_links("\n\f\n".join(texts))
            result = Deliverable(filename=f"{name}.txt", mime="text/plain", data=text.encode())
            return result, "PDF converted to text" + stripped
        rendered = [_page_jpeg(doc[i], policy.pdf_render_scale) for i in range(len(doc))]
    finally:
        doc.close()
    if not rendered:
        raise _Unsafe(Action.REMOVED, "PDF has no pages")
    filename = name if name.lower().endswith(".pdf") else f"{name}.pdf"
    result = Deliverable(filename=filename, mime="application/pdf", data=_image_pdf(rendered))
    return result, f"PDF rendered to an image-only PDF ({len(rendered)} pages){stripped}"


_Page = tuple[bytes, int, int, float, float]  # JPEG, pixel width/height, size in points


def _page_jpeg(page: pdfium.PdfPage, scale: float) -> _Page:
    """One page rendered (pdfium) and JPEG-encoded once (Pillow), with its size."""
    width, height = page.get_size()
    image = page.render(scale=scale).to_pil()
    if image.mode != "RGB":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue(), image.width, image.height, width, height


def _image_pdf(pages: list[_Page]) -> bytes:
    """A PDF whose pages are nothing but one JPEG each, embedded as is (DCTDecode: no
    decoding or re-encoding), at the original page size."""
    pdf = pikepdf.new()
    for jpeg, pixels_w, pixels_h, width, height in pages:
        image = pikepdf.Stream(pdf, jpeg)
        image.Type = pikepdf.Name.XObject
        image.Subtype = pikepdf.Name.Image
        image.Width, image.Height = pixels_w, pixels_h
        image.ColorSpace = pikepdf.Name.DeviceRGB
        image.BitsPerComponent = 8
        image.Filter = pikepdf.Name.DCTDecode
        content = pikepdf.Stream(pdf, f"q {width:.2f} 0 0 {height:.2f} 0 0 cm /Im0 Do Q".encode())
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, width, height],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
            Contents=content,
        )
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    # The file ID from the content, not from the clock: the same original always gives the
    # same bytes, so a pass repeated after a crash recognises what it already delivered.
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


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
    frame.save(buffer, format=fmt)
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
