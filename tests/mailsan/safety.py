"""The invariant every delivered message must satisfy, checked from the outside."""

from __future__ import annotations

import email.policy
import io
import re
import zipfile
from email.message import EmailMessage
from email.parser import BytesParser

import magic
import pikepdf

SAFE_TYPES = {"text/plain", "application/pdf", "image/png", "image/jpeg", "application/zip"}
CLICKABLE = re.compile(r"(?i)\b(?:https?|ftp|file|javascript|data|vbscript)://|\bwww\.[a-z0-9-]+\.")


def assert_image_only_pdf(data: bytes) -> None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        for key in ("/OpenAction", "/AA", "/AcroForm", "/Names"):
            assert key not in root, key
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                assert "/JS" not in obj
                assert obj.get("/S") not in (pikepdf.Name.JavaScript, pikepdf.Name.Launch)
                assert obj.get("/Type") != pikepdf.Name.EmbeddedFile
                assert obj.get("/Type") != pikepdf.Name.Font, "text survived: not image-only"
        for page in pdf.pages:
            assert "/Annots" not in page.obj
            xobjects = page.Resources.get("/XObject", {})
            assert all(x.get("/Subtype") == pikepdf.Name.Image for x in xobjects.values())


def _check_object(data: bytes, name: str) -> None:
    true = magic.from_buffer(data, mime=True)
    assert true in SAFE_TYPES or true.startswith("text/plain"), f"{name}: {true} delivered"
    if true == "application/pdf":
        assert_image_only_pdf(data)
    elif true == "application/zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                assert not info.flag_bits & 1
                _check_object(zf.read(info), f"{name}/{info.filename}")
    elif true.startswith("text/"):
        assert not CLICKABLE.search(data.decode("utf-8", errors="replace")), name


def assert_safe(raw: bytes) -> EmailMessage:
    """No HTML part, no clickable link, only safe attachment types, the mark header set."""
    msg = BytesParser(policy=email.policy.SMTP).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    assert msg["X-Mailsan"] is not None
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        assert ctype != "text/html"
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if part.get_filename():
            _check_object(data, part.get_filename() or "")
        else:
            assert ctype == "text/plain", ctype
            text = part.get_content()
            assert not CLICKABLE.search(text), CLICKABLE.search(text)
    return msg


def body_text(raw: bytes) -> str:
    msg = BytesParser(policy=email.policy.SMTP).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())
