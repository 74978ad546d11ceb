"""PDF attachments: every kind of active content is found and named in the audit, never
delivered; pages are rendered at the resolution their content needs; the image-only PDF
written directly is well-formed."""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import pikepdf
import pypdfium2 as pdfium
import pytest

from ictinfra.mailsan import DEFAULT_POLICY
from ictinfra.mailsan.attachments import Budget, process, render_scale
from ictinfra.mailsan.records import Action
from ictinfra.mailsan.sanitise import sanitise
from tests.mailsan import compose
from tests.mailsan.safety import assert_image_only_pdf, assert_safe

Mutation = Callable[[pikepdf.Pdf], None]


def _text_pdf(mutate: Mutation | None = None, size: tuple[float, float] = (595, 842)) -> bytes:
    """One page of Helvetica text; ``mutate`` adds the active content under test."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=size)
    page = pdf.pages[0]
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont="/Helvetica"
        )
    )
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(
        f"BT /F1 12 Tf 72 {size[1] - 80:g} Td (Invoice 2026-0042: total 1,234 yen) Tj ET".encode()
    )
    if mutate is not None:
        mutate(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _js(code: str = "app.alert('x')") -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(code))


def _link(pdf: pikepdf.Pdf, action: pikepdf.Dictionary) -> None:
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100], A=action
    )
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))


def _embedded_file(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    stream = pdf.make_stream(b"MZ\x90\x00 not really an executable")
    stream.Type = pikepdf.Name.EmbeddedFile
    return pikepdf.Dictionary(
        Type=pikepdf.Name.Filespec, F=pikepdf.String("run.exe"), EF=pikepdf.Dictionary(F=stream)
    )


def _open_action_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pdf.make_indirect(_js())


def _open_action_launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))


def _document_aa(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AA = pikepdf.Dictionary(WC=_js("app.launchURL('x')"))


def _page_aa(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=_js())


def _javascript_name_tree(pdf: pikepdf.Pdf) -> None:
    names = pikepdf.Array([pikepdf.String("init"), pdf.make_indirect(_js())])
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=names))


def _link_js(pdf: pikepdf.Pdf) -> None:
    _link(pdf, _js())


def _link_submit(pdf: pikepdf.Pdf) -> None:
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("http://x")))


def _link_import(pdf: pikepdf.Pdf) -> None:
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.ImportData, F=pikepdf.String("data.fdf")))


def _link_launch(pdf: pikepdf.Pdf) -> None:
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")))


def _embedded_in_names(pdf: pikepdf.Pdf) -> None:
    names = pikepdf.Array([pikepdf.String("run.exe"), pdf.make_indirect(_embedded_file(pdf))])
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=names))


def _file_attachment_annotation(pdf: pikepdf.Pdf) -> None:
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.FileAttachment,
        Rect=[0, 0, 20, 20],
        FS=_embedded_file(pdf),
    )
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))


def _form(pdf: pikepdf.Pdf) -> None:
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            FT=pikepdf.Name.Tx,
            T=pikepdf.String("name"),
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            Rect=[72, 700, 300, 720],
            AA=pikepdf.Dictionary(K=_js("event.value = 1")),
        )
    )
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([field]))


ACTIVE: list[tuple[str, Mutation, tuple[str, ...]]] = [
    ("open action JavaScript", _open_action_js, ("OpenAction", "JavaScript")),
    ("open action Launch", _open_action_launch, ("OpenAction", "Launch")),
    ("document additional actions", _document_aa, ("AA", "JavaScript")),
    ("page additional actions", _page_aa, ("JavaScript",)),
    ("JavaScript name tree", _javascript_name_tree, ("JavaScript",)),
    ("link running JavaScript", _link_js, ("JavaScript",)),
    ("link submitting a form", _link_submit, ("SubmitForm",)),
    ("link importing data", _link_import, ("ImportData",)),
    ("link launching a program", _link_launch, ("Launch",)),
    ("embedded file in the name tree", _embedded_in_names, ("embedded files",)),
    ("file attachment annotation", _file_attachment_annotation, ("embedded files",)),
    ("form with a field script", _form, ("AcroForm", "JavaScript")),
]


@pytest.mark.parametrize(("kind", "mutate", "named"), ACTIVE, ids=[a[0] for a in ACTIVE])
def test_active_content_is_named_in_the_audit_and_not_delivered(
    kind: str, mutate: Mutation, named: tuple[str, ...]
) -> None:
    data = _text_pdf(mutate)
    result = sanitise(compose.with_attachment(data, "a.pdf", "application/pdf"), DEFAULT_POLICY)
    (rec,) = result.objects
    assert rec.action is Action.CONVERTED, kind
    assert "removed active content" in rec.reason, rec.reason
    for word in named:
        assert word in rec.reason, (kind, rec.reason)
    msg = assert_safe(result.message)
    (att,) = list(msg.iter_attachments())
    delivered = att.get_payload(decode=True)
    assert isinstance(delivered, bytes)
    assert_image_only_pdf(delivered)
    for marker in (b"/JS", b"/JavaScript", b"/Launch", b"/EmbeddedFile", b"/AcroForm", b"/Annots"):
        assert marker not in delivered, (kind, marker)


def test_a_clean_pdf_reports_no_active_content() -> None:
    out = process(_text_pdf(), path="a.pdf", declared=None, policy=DEFAULT_POLICY, budget=_budget())
    (rec,) = out.records
    assert rec.action is Action.CONVERTED
    assert "active content" not in rec.reason


def _budget() -> Budget:
    return Budget(members=10, expanded=10**8)


def _delivered_pages(data: bytes) -> list[tuple[int, int, float]]:
    """(image pixel width, height, page width in points) of each delivered page."""
    out = process(data, path="a.pdf", declared=None, policy=DEFAULT_POLICY, budget=_budget())
    (item,) = out.deliver
    assert_image_only_pdf(item.data)
    with pikepdf.open(io.BytesIO(item.data)) as pdf:
        assert pdf.check_pdf_syntax() == []  # the directly written file is well-formed
        pages = []
        for page in pdf.pages:
            image = page.Resources.XObject.Im0
            pages.append((int(image.Width), int(image.Height), float(page.MediaBox[2])))
        return pages


def _picture_pdf(
    pixels: tuple[int, int],
    drawn: tuple[float, float],
    *,
    with_text: bool = False,
    rotated: bool = False,
) -> bytes:
    """A page showing one grey picture of ``pixels`` drawn over ``drawn`` points (a scan);
    ``rotated``: its width drawn upwards, its height leftwards (a quarter turn)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=drawn[::-1] if rotated else drawn)
    page = pdf.pages[0]
    width, height = pixels
    image = pdf.make_stream(bytes((x * 7 + y) % 256 for y in range(height) for x in range(width)))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace = pikepdf.Name.DeviceGray
    resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    w, h = drawn
    matrix = f"0 {w:g} {-h:g} 0 {h:g} 0" if rotated else f"{w:g} 0 0 {h:g} 0 0"
    content = f"q {matrix} cm /Im0 Do Q".encode()
    if with_text:
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont="/Helvetica"
        )
        resources.Font = pikepdf.Dictionary(F1=font)
        content += b" BT /F1 10 Tf 10 10 Td (stamp) Tj ET"
    page.Resources = resources
    page.Contents = pdf.make_stream(content)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_text_pages_are_rendered_at_108_dpi() -> None:
    scale = DEFAULT_POLICY.pdf_render_scale
    assert scale * 72 >= 100  # legible text: at least ~100 DPI
    ((width, height, points),) = _delivered_pages(_text_pdf())
    assert (width, height) == (math.ceil(595 * scale), math.ceil(842 * scale))
    assert points == pytest.approx(595)


@pytest.mark.parametrize(
    ("pixels", "drawn", "expected_width"),
    [
        ((600, 850), (600, 850), 600),  # a 72-DPI scan: its own pixels, not upscaled
        ((500, 500), (360, 360), 500),  # a 100-DPI scan: its own pixels
        ((833, 833), (200, 200), 300),  # a 300-DPI scan: down to the text resolution
        ((100, 100), (200, 200), 200),  # a 36-DPI picture: not below 72 DPI
    ],
)
def test_scanned_pages_are_rendered_at_their_own_resolution(
    pixels: tuple[int, int], drawn: tuple[float, float], expected_width: int
) -> None:
    ((width, _, _),) = _delivered_pages(_picture_pdf(pixels, drawn))
    assert width == expected_width


def test_a_picture_with_text_on_the_page_is_rendered_at_the_text_resolution() -> None:
    ((width, _, _),) = _delivered_pages(_picture_pdf((600, 850), (600, 850), with_text=True))
    assert width == math.ceil(600 * DEFAULT_POLICY.pdf_render_scale)


def test_a_rotated_picture_keeps_its_resolution() -> None:
    doc = pdfium.PdfDocument(_picture_pdf((400, 200), (400, 200), rotated=True))
    try:
        # 400 pixels drawn upwards over 400 points: 72 DPI, whatever the rotation.
        assert doc[0].get_size() == pytest.approx((200, 400))
        assert render_scale(doc[0], 1.5) == pytest.approx(1.0)
        assert render_scale(doc[0], 0.8) == pytest.approx(0.8)  # never above the text scale
    finally:
        doc.close()


def test_image_only_pdf_is_readable_by_pdfium_with_the_page_sizes_kept() -> None:
    out = process(
        _text_pdf(size=(842, 595)),
        path="a.pdf",
        declared=None,
        policy=DEFAULT_POLICY,
        budget=_budget(),
    )
    doc = pdfium.PdfDocument(out.deliver[0].data)
    try:
        assert len(doc) == 1
        assert doc[0].get_size() == pytest.approx((842, 595), abs=0.01)
        assert doc[0].get_textpage().get_text_range() == ""  # pictures only: no text layer
        image = doc[0].render(scale=0.5).to_pil().convert("L")
        assert image.getextrema()[0] < 128  # the text was drawn (dark pixels)
    finally:
        doc.close()
