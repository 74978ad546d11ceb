"""Test mail composed here: Japanese in each charset, hostile attachments, bombs."""

from __future__ import annotations

import base64
import email.policy
import io
import zipfile
from email.message import EmailMessage

import pikepdf
from PIL import Image

JAPANESE = "お世話になっております。来週の会議資料を送付します。①日程 ㈱三重 表計算"


def message(body: str = "本文です。", subject: str = "件名") -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "sender@internet.example"
    msg["To"] = "user@pref.test.example"
    msg["Subject"] = subject
    msg["Message-ID"] = "<test@internet.example>"
    msg.set_content(body)
    return msg


def raw_japanese(charset: str, *, html: bool = False, text: str = JAPANESE) -> bytes:
    """A message as a Japanese mailer writes it: body and subject in ``charset``."""
    codec = {"iso-2022-jp": "iso2022_jp", "shift_jis": "cp932", "euc-jp": "euc_jp"}.get(
        charset, charset
    )
    # ① and ㈱ exist only in cp932 and Unicode: other charsets get the rest of the text.
    text = "".join(ch for ch in text if ch.encode(codec, errors="ignore"))
    body = f"<html><body><p>{text}</p></body></html>" if html else text
    subject = base64.b64encode("会議資料のご送付".encode(codec)).decode()
    head = (
        "From: =?utf-8?b?5LiJ6YeN5aSq6YOO?= <taro@internet.example>\r\n"
        "To: user@pref.test.example\r\n"
        f"Subject: =?{charset}?B?{subject}?=\r\n"
        "Message-ID: <ja@internet.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: text/{'html' if html else 'plain'}; charset={charset}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode() + base64.encodebytes(body.encode(codec)).replace(b"\n", b"\r\n")


def with_attachment(data: bytes, filename: str, mime: str = "application/octet-stream") -> bytes:
    msg = message("添付ファイルをご確認ください。")
    maintype, _, subtype = mime.partition("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def nested_multipart(depth: int, prefix: str = "b") -> bytes:
    """A text part wrapped in ``depth`` multipart/mixed parts, boundaries ``<prefix><n>``
    (the body after the top-level headers, which begin with its Content-Type)."""
    inner = b"Content-Type: text/plain\r\n\r\nbottom\r\n"
    for level in range(depth):
        boundary = f"{prefix}{level}".encode()
        inner = (
            b"Content-Type: multipart/mixed; boundary="
            + boundary
            + b"\r\n\r\n--"
            + boundary
            + b"\r\n"
            + inner
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    return inner


def pdf_with_javascript() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    js = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')"))
    pdf.Root.OpenAction = pdf.make_indirect(js)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    return out.getvalue()


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def mark_encrypted(zipped: bytes) -> bytes:
    """Set the 'encrypted' flag bit in every local and central header, as ZipCrypto does."""
    data = bytearray(zipped)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (pos := data.find(signature, start)) != -1:
            data[pos + offset] |= 1
            start = pos + 4
    return bytes(data)


def nested_zip(depth: int, payload: bytes) -> bytes:
    data = zip_of({"doc.txt": payload})
    for level in range(depth - 1):
        data = zip_of({f"level{level}.zip": data})
    return data


def zip_bomb(expanded_mb: int) -> bytes:
    """One member of zeros: a few kilobytes that expand to ``expanded_mb``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        zf.open("zeros.txt", "w", force_zip64=True) as member,
    ):
        chunk = b"\0" * (1 << 20)
        for _ in range(expanded_mb):
            member.write(chunk)
    return out.getvalue()


def docm_with_macros() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                b'package/2006/content-types"><Override PartName="/word/document.xml" '
                b'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
            ),
            "word/document.xml": b"<w:document/>",
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 100,
        }
    )


def docx(text: str = "本文") -> bytes:
    """A minimal Word document (what Word needs to open it, nothing more)."""
    ns = "http://schemas.openxmlformats.org"
    return zip_of(
        {
            "[Content_Types].xml": (
                f'<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types">'
                f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                f'package.relationships+xml"/><Override PartName="/word/document.xml" '
                f'ContentType="application/vnd.openxmlformats-officedocument.'
                f'wordprocessingml.document.main+xml"/></Types>'
            ).encode(),
            "_rels/.rels": (
                f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/'
                f'officeDocument" Target="word/document.xml"/></Relationships>'
            ).encode(),
            "word/document.xml": (
                f'<?xml version="1.0"?><w:document xmlns:w="{ns}/wordprocessingml/2006/main">'
                f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
            ).encode(),
        }
    )


def encrypted_docx() -> bytes:
    """The same document with a password, as Word writes it (ECMA-376 agile encryption)."""
    from msoffcrypto.format.ooxml import OOXMLFile  # noqa: PLC0415 - test-data helper

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx())).encrypt("password", out)
    return out.getvalue()


def slow_pdf(strokes: int) -> bytes:
    """A one-page PDF whose content stream draws ``strokes`` lines: small to send, slow
    to render (about 0.2 ms per stroke with pypdfium2 here), as a hostile PDF would be."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(600, 800))
    content = b"0.5 w " + b"".join(
        b"%d %d m %d %d l S " % (i % 600, i % 797, (i * 7) % 600, (i * 13) % 800)
        for i in range(strokes)
    )
    pdf.pages[0].Contents = pdf.make_stream(content)
    out = io.BytesIO()
    pdf.save(out, compress_streams=True)
    return out.getvalue()


def word_document(text: str = JAPANESE) -> bytes:
    """A .docx written by python-docx (heading, paragraph, table), as Word files are."""
    import docx  # noqa: PLC0415 - test-data helper

    document = docx.Document()
    document.add_heading("会議資料", level=1)
    document.add_paragraph(text + " https://example.com/agenda")
    table = document.add_table(rows=2, cols=2)
    for row, cells in enumerate(table.rows):
        for col, cell in enumerate(cells.cells):
            cell.text = f"項目 {row}-{col}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def spreadsheet() -> bytes:
    """A .xlsx written by openpyxl (values and a formula)."""
    import openpyxl  # noqa: PLC0415 - test-data helper

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "予算"
    for row in range(1, 11):
        sheet.cell(row=row, column=1, value=f"事業 {row}")
        sheet.cell(row=row, column=2, value=row * 1000)
    sheet["B11"] = "=SUM(B1:B10)"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def presentation() -> bytes:
    """A .pptx written by python-pptx (a title slide)."""
    import pptx  # noqa: PLC0415 - test-data helper

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = "説明会"
    slide.placeholders[1].text = "令和の情報基盤"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()
