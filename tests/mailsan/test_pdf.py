"""PDF attachments: every kind of active content is found and named in the audit, never
delivered; pages are rendered at the resolution their content needs; the image-only PDF
written directly is well-formed."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from ictinfra.mailsan import DEFAULT_POLICY, attachments
from ictinfra.mailsan.attachments import (
    Budget,
    _scan_jpeg,
    _scan_picture,
    process,
    render_scale,
)
from ictinfra.mailsan.records import Action
from ictinfra.mailsan.sanitise import sanitise
from tests.mailsan import compose, corpora
from tests.mailsan.safety import assert_image_only_pdf, assert_safe
from tests.mailsan.test_jpeg_transcode import require_turbojpeg

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


def _escaped_names(data: bytes) -> bytes:
    """``data`` saved uncompressed with every name the audit looks for, and the keys whose
    values it compares, written with a #-escape (/J#53, /JavaScrip#74, /#53...): the same
    file to a PDF reader."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    actions = b"|".join(action[1:].encode() for action in attachments._ACTIVE_ACTIONS)
    names = rb"/(JS|JavaScript|EmbeddedFile|EF|S|Type|" + actions + rb")(?=[\s/<>\[\]()])"
    escaped, count = re.subn(
        names, lambda m: b"/" + m[1][:-1] + b"#%02X" % m[1][-1], out.getvalue()
    )
    assert count > 0
    return escaped


def _in_object_streams(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def _audits(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[set[str], set[str]]:
    """What the audit finds, and what the walk finds when it walks every object."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found = attachments._active_content(pdf)
        with monkeypatch.context() as patched:
            patched.setattr(attachments, "_mentions_active_name", lambda _obj: True)
            return found, attachments._active_content(pdf)


def _indirect_action(action: str) -> Mutation:
    """A link whose action's type (/S) is an indirect object: ``8 0 obj /Launch endobj``."""

    def mutate(pdf: pikepdf.Pdf) -> None:
        kind = pdf.make_indirect(pikepdf.Name(action))
        _link(pdf, pikepdf.Dictionary(S=kind, F=pikepdf.String("x")))

    return mutate


def _indirect_embedded_file_type(pdf: pikepdf.Pdf) -> None:
    """An embedded file stream whose /Type is an indirect object, reached by no /EF key."""
    stream = pdf.make_stream(b"MZ\x90\x00 not really an executable")
    stream.Type = pdf.make_indirect(pikepdf.Name.EmbeddedFile)
    pdf.Root.Extra = pdf.make_indirect(pikepdf.Dictionary(File=stream))


# Every name the walk compares a value to, given as an indirect object.
INDIRECT: list[tuple[str, Mutation, tuple[str, ...]]] = [
    (f"indirect /S {action}", _indirect_action(action), (named,))
    for action, named in {
        "/JavaScript": "JavaScript",
        **attachments._ACTIVE_ACTIONS,
    }.items()
] + [("indirect /Type /EmbeddedFile", _indirect_embedded_file_type, ("embedded files",))]


FORMS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda data: data,
    "escaped names": _escaped_names,
    "object streams": _in_object_streams,
}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize(
    ("kind", "mutate", "named"), ACTIVE + INDIRECT, ids=[a[0] for a in ACTIVE + INDIRECT]
)
def test_objects_left_unwalked_hide_no_active_content(
    kind: str, mutate: Mutation, named: tuple[str, ...], form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = FORMS[form](_text_pdf(mutate))
    found, walked = _audits(data, monkeypatch)
    assert found == walked, kind
    assert set(named) <= found, (kind, found)


def test_the_audit_of_real_pdfs_equals_the_full_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    pdfs = [p for p in corpora.clamav_files() if p.read_bytes().startswith(b"%PDF")]
    pdfs_data = [p.read_bytes() for p in pdfs] + [compose.pdf_with_javascript()]
    assert len(pdfs_data) >= 2
    for data in pdfs_data:
        found, walked = _audits(data, monkeypatch)
        assert found == walked


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


# --- scanned pages: the picture re-encoded instead of rendered -----------------------


def _scan_pdf(mode: str = "RGB", size: tuple[int, int] = (300, 420), dpi: float = 72) -> bytes:
    """What a scanner writes: one JPEG per page, covering it (Pillow's PDF writer)."""
    picture = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(picture)
    for y in range(10, size[1] - 10, 14):
        draw.text((10, y), f"Scanned line {y}: 2026-0042 total 1,234", fill="black")
    if mode == "RGB":
        draw.rectangle((200, 10, 260, 60), fill=(200, 20, 20))  # a red seal
    out = io.BytesIO()
    picture.save(out, format="PDF", resolution=dpi)
    return out.getvalue()


def _scans(data: bytes) -> list[object]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [_scan_picture(page, DEFAULT_POLICY) for page in pdf.pages]


def _pdfium_page(data: bytes) -> Image.Image:
    doc = pdfium.PdfDocument(data)
    try:
        page = doc[0]
        scale = render_scale(page, DEFAULT_POLICY.pdf_render_scale)
        return page.render(scale=scale, rev_byteorder=True).to_pil().convert("RGB")
    finally:
        doc.close()


def _delivered_picture(data: bytes) -> tuple[Image.Image, str]:
    out = process(data, path="s.pdf", declared=None, policy=DEFAULT_POLICY, budget=_budget())
    (item,) = out.deliver
    assert_image_only_pdf(item.data)
    with pikepdf.open(io.BytesIO(item.data)) as pdf:
        assert pdf.check_pdf_syntax() == []
        image = pdf.pages[0].Resources.XObject.Im0
        picture = Image.open(io.BytesIO(bytes(image.read_raw_bytes())))
        picture.load()
        return picture, str(image.ColorSpace)


@pytest.fixture(params=["transcoded", "pillow"])
def jpeg_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each scan test on both ways a scan's picture is delivered: transcoded losslessly
    (libjpeg-turbo), or decoded and re-encoded (Pillow, without the library)."""
    if request.param == "transcoded":
        require_turbojpeg()
    else:
        monkeypatch.setattr(attachments, "TURBOJPEG", None)
    return str(request.param)


def _original_picture(data: bytes) -> Image.Image:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        images = pdf.pages[0].Resources.XObject
        image = images[next(iter(images.keys()))]
        picture = Image.open(io.BytesIO(bytes(image.read_raw_bytes())))
        picture.load()
        return picture


@pytest.mark.parametrize(("mode", "space"), [("RGB", "/DeviceRGB"), ("L", "/DeviceGray")])
def test_a_scanned_page_is_its_picture_re_encoded_as_pdfium_would_render_it(
    mode: str, space: str, jpeg_path: str
) -> None:
    data = _scan_pdf(mode)
    assert all(scan is not None for scan in _scans(data))  # the fast path is taken
    picture, colour_space = _delivered_picture(data)
    assert colour_space == space
    rendered = _pdfium_page(data)
    assert picture.size == rendered.size == (300, 420)
    if jpeg_path == "transcoded":
        # Lossless: the scan's own pixels, which are exactly what pdfium shows.
        assert picture.tobytes() == _original_picture(data).tobytes()
        assert picture.convert("RGB").tobytes() == rendered.tobytes()
    else:
        # The pixels pdfium's rendering gives once JPEG-encoded as a rendered page is.
        encoded = io.BytesIO()
        (rendered.convert("L") if mode == "L" else rendered).save(encoded, "JPEG", quality=80)
        expected = Image.open(encoded).convert("RGB")
        difference = ImageStat.Stat(ImageChops.difference(picture.convert("RGB"), expected))
        assert max(difference.mean) < 0.5, difference.mean
    if mode == "RGB":
        red, green, _ = picture.convert("RGB").getpixel((230, 35))  # type: ignore[misc]
        assert red > 150 > green  # the colour survived


def _no_pdfium(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("pdfium opened a document")


def test_a_pdf_of_scans_only_is_not_handed_to_pdfium_and_its_active_content_is_audited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pikepdf.open(io.BytesIO(_scan_pdf())) as pdf:
        _open_action_js(pdf)
        _embedded_in_names(pdf)
        _page_aa(pdf)
        original = io.BytesIO()
        pdf.save(original)
    data = original.getvalue()
    assert all(scan is not None for scan in _scans(data))
    monkeypatch.setattr(attachments.pdfium, "PdfDocument", _no_pdfium)
    out = process(data, path="s.pdf", declared=None, policy=DEFAULT_POLICY, budget=_budget())
    (rec,) = out.records
    assert rec.action is Action.CONVERTED, rec.reason
    for word in ("OpenAction", "JavaScript", "embedded files", "AA"):
        assert word in rec.reason, rec.reason
    (item,) = out.deliver
    assert_image_only_pdf(item.data)
    for marker in (b"/JS", b"/JavaScript", b"/EmbeddedFile", b"/OpenAction", b"/AA"):
        assert marker not in item.data, marker


def test_a_pdf_mixing_scans_and_text_pages_still_renders_its_text_pages() -> None:
    with (
        pikepdf.open(io.BytesIO(_scan_pdf())) as scan,
        pikepdf.open(io.BytesIO(_text_pdf(size=(300, 420)))) as text,
    ):
        scan.pages.append(text.pages[0])
        mixed = io.BytesIO()
        scan.save(mixed)
    data = mixed.getvalue()
    first, second = _scans(data)
    assert first is not None
    assert second is None
    pages = _delivered_pages(data)
    scale = DEFAULT_POLICY.pdf_render_scale
    assert pages == [(300, 420, 300), (math.ceil(300 * scale), math.ceil(420 * scale), 300)]


def _edited_scan(edit: Callable[[pikepdf.Pdf, pikepdf.Page, pikepdf.Stream], None]) -> bytes:
    with pikepdf.open(io.BytesIO(_scan_pdf())) as pdf:
        page = pdf.pages[0]
        name = next(iter(page.Resources.XObject.keys()))
        edit(pdf, page, page.Resources.XObject[name])
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _soft_mask(pdf: pikepdf.Pdf, _page: pikepdf.Page, image: pikepdf.Stream) -> None:
    mask = pdf.make_stream(bytes(300 * 420))
    mask.Type, mask.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    mask.Width, mask.Height, mask.BitsPerComponent = 300, 420, 8
    mask.ColorSpace = pikepdf.Name.DeviceGray
    image.SMask = mask


NOT_SCANS: list[tuple[str, Callable[[pikepdf.Pdf, pikepdf.Page, pikepdf.Stream], None]]] = [
    ("soft mask", _soft_mask),
    ("decode array", lambda _p, _g, image: setattr(image, "Decode", [1, 0, 1, 0, 1, 0])),
    (
        "colour transform",
        lambda _p, _g, image: setattr(image, "DecodeParms", {"/ColorTransform": 0}),
    ),
    ("rotated page", lambda _p, page, _i: setattr(page.obj, "Rotate", 90)),
    ("crop box", lambda _p, page, _i: setattr(page.obj, "CropBox", [0, 0, 100, 100])),
    (
        "text over the picture",
        lambda pdf, page, _i: page.contents_add(pdf.make_stream(b"0 0 1 rg 0 0 50 50 re f")),
    ),
]


@pytest.mark.parametrize(("kind", "edit"), NOT_SCANS, ids=[n[0] for n in NOT_SCANS])
def test_pages_that_are_not_plain_scans_are_rendered_by_pdfium(
    kind: str, edit: Callable[[pikepdf.Pdf, pikepdf.Page, pikepdf.Stream], None]
) -> None:
    data = _edited_scan(edit)
    assert _scans(data) == [None], kind
    picture, _ = _delivered_picture(data)  # still delivered, as pdfium renders it
    # At the picture's 72 DPI, of the page as shown: turned, cropped; 108 DPI with text.
    expected = {"rotated page": 420, "crop box": 100, "text over the picture": 450}
    assert picture.width == expected.get(kind, 300)


def test_a_scan_finer_than_the_text_resolution_is_left_to_pdfium() -> None:
    data = _scan_pdf(size=(900, 1260), dpi=216)  # 3x the 72-DPI page: above 108 DPI
    assert _scans(data) == [None]
    picture, _ = _delivered_picture(data)
    assert picture.width == math.ceil(300 * DEFAULT_POLICY.pdf_render_scale)


def test_a_picture_lying_about_its_size_falls_back_to_pdfium() -> None:
    def lie(_pdf: pikepdf.Pdf, _page: pikepdf.Page, image: pikepdf.Stream) -> None:
        image.Width, image.Height = 150, 210  # the JPEG inside is 300 x 420

    data = _edited_scan(lie)
    (scan,) = _scans(data)
    assert scan is not None  # the dictionary looks like a scan...
    assert _scan_jpeg(scan) is None  # ...the picture does not match it
    picture, _ = _delivered_picture(data)  # pdfium renders the page instead
    assert picture.size == _pdfium_page(data).size


def test_a_long_content_stream_is_not_parsed_for_the_scan_check() -> None:
    def padded(pdf: pikepdf.Pdf, page: pikepdf.Page, _image: pikepdf.Stream) -> None:
        # The same drawing, preceded by 600 bytes of no-op save/restore pairs.
        name = next(iter(page.Resources.XObject.keys()))
        content = b"q Q " * 150 + f"q 300 0 0 420 0 0 cm {name} Do Q".encode()
        page.obj.Contents = pdf.make_stream(content)

    data = _edited_scan(padded)
    assert _scans(data) == [None]  # left to pdfium, which renders the same page
    picture, _ = _delivered_picture(data)
    assert picture.size == (300, 420)


PAYLOAD = b"SECRET-COMMENT-PAYLOAD"


def _jpeg_with_payload(size: tuple[int, int] = (300, 420)) -> bytes:
    """A JPEG carrying a comment, EXIF and ICC segments and bytes after its end marker."""
    picture = Image.new("RGB", size, "white")
    ImageDraw.Draw(picture).text((10, 10), "Scanned", fill="black")
    out = io.BytesIO()
    picture.save(
        out,
        format="JPEG",
        quality=95,
        comment=PAYLOAD,
        exif=b"Exif\x00\x00" + PAYLOAD,
        icc_profile=PAYLOAD,
        dpi=(72, 72),
    )
    return out.getvalue() + b"TRAILING-" + PAYLOAD


def test_a_scans_comment_metadata_and_trailing_bytes_are_not_delivered(jpeg_path: str) -> None:
    def swap(_pdf: pikepdf.Pdf, _page: pikepdf.Page, image: pikepdf.Stream) -> None:
        image.write(_jpeg_with_payload(), filter=pikepdf.Name.DCTDecode)

    data = _edited_scan(swap)
    assert PAYLOAD in data
    assert all(scan is not None for scan in _scans(data))  # the fast path is taken
    out = process(data, path="s.pdf", declared=None, policy=DEFAULT_POLICY, budget=_budget())
    (item,) = out.deliver
    assert_image_only_pdf(item.data)
    assert PAYLOAD not in item.data
    picture, _ = _delivered_picture(data)
    assert set(picture.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    same = picture.tobytes() == _original_picture(data).tobytes()
    assert same is (jpeg_path == "transcoded")  # lossless only when transcoded


@pytest.mark.parametrize("mime", ["image/jpeg", "image/png"])
def test_an_images_comment_and_trailing_bytes_are_not_delivered(mime: str) -> None:
    data = _jpeg_with_payload()
    if mime == "image/png":
        png = io.BytesIO()
        Image.open(io.BytesIO(data)).save(png, format="PNG", icc_profile=PAYLOAD)
        data = png.getvalue() + PAYLOAD
    out = process(data, path="scan.x", declared=mime, policy=DEFAULT_POLICY, budget=_budget())
    (item,) = out.deliver
    assert PAYLOAD not in item.data
    Image.open(io.BytesIO(item.data)).load()  # still a picture


def _file_id(data: bytes) -> str:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return bytes(pdf.trailer.ID[0]).hex()


def test_the_same_pdf_always_gives_the_same_bytes_and_another_pdf_another_file_id() -> None:
    first, again, other = (
        process(data, path="s.pdf", declared=None, policy=DEFAULT_POLICY, budget=_budget())
        .deliver[0]
        .data
        for data in (_scan_pdf(), _scan_pdf(), _scan_pdf(size=(300, 421)))
    )
    assert first == again
    assert _file_id(first) != _file_id(other)


def test_the_true_type_of_one_object_is_asked_of_libmagic_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = attachments.magic.from_buffer

    def counting(data: bytes, mime: bool = False) -> str:
        calls.append(len(data))
        return real(data, mime=mime)

    monkeypatch.setattr(attachments.magic, "from_buffer", counting)
    data = _scan_pdf()
    assert attachments.true_type(data)[0] == "application/pdf"
    assert len(calls) == 2  # the MIME type and the description
    process(data, path="s.pdf", declared=None, policy=DEFAULT_POLICY, budget=_budget())
    assert len(calls) == 2  # the same object: the answer kept
    other = bytes(bytearray(data))
    assert other == data
    assert other is not data
    assert attachments.true_type(other)[0] == "application/pdf"
    assert len(calls) == 4  # another object, even with the same bytes, is looked at again
    assert attachments.true_type(b"MZ\x90\x00" + bytes(60))[0] != "application/pdf"


@pytest.mark.parametrize("hold", [True, False])
@pytest.mark.parametrize("allowed", [True, False])
def test_an_encrypted_pdf_is_held_or_removed_whether_or_not_pdfs_are_allowed(
    hold: bool,
    allowed: bool,
) -> None:
    types = tuple(t for t in DEFAULT_POLICY.allowed_types if allowed or t != "application/pdf")
    policy = DEFAULT_POLICY.model_copy(update={"hold_encrypted": hold, "allowed_types": types})
    assert policy.allows("application/pdf") is allowed
    out = process(
        compose.encrypted_pdf(), path="e.pdf", declared=None, policy=policy, budget=_budget()
    )
    (rec,) = out.records
    assert rec.action is (Action.HELD if hold else Action.REMOVED)
    assert rec.reason == "encrypted PDF: cannot be inspected"
    assert out.deliver == []
