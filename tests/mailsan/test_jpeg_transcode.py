"""Scanned pages' JPEGs transcoded losslessly (libjpeg-turbo): the original's pixels
exactly, none of its bytes' structure (markers, tables, coding), and anything the
transcoder cannot take cleanly left to Pillow's decode and re-encode."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw

from ictinfra.mailsan import attachments
from ictinfra.mailsan.attachments import _Scan, _scan_jpeg, transcode_jpeg
from tests.conftest import IN_CI

PAYLOAD = b"SECRET-PAYLOAD"
SOF0, SOF2, DRI, COM, APP0 = 0xC0, 0xC2, 0xDD, 0xFE, 0xE0


def require_turbojpeg() -> None:
    """Skip locally, fail in CI, when libturbojpeg0 is missing (the fast path untested)."""
    if attachments.TURBOJPEG is None:
        message = "libturbojpeg0 is not installed (tools/ensure-system-packages installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _turbojpeg() -> None:
    require_turbojpeg()


def _picture(mode: str = "RGB", size: tuple[int, int] = (240, 320)) -> Image.Image:
    """Something like a scan: text lines, a coloured seal, a gradient (every block differs)."""
    picture = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(picture)
    for x in range(size[0]):
        draw.line((x, 0, x, 20), fill=(x % 256, 128, 255 - x % 256) if mode == "RGB" else x % 256)
    for y in range(30, size[1] - 10, 14):
        draw.text((8, y), f"Scanned line {y}: 2026-0042", fill="black")
    draw.rectangle((150, 30, 200, 80), fill=(200, 20, 20) if mode == "RGB" else 90)
    return picture


def _jpeg(picture: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="JPEG", **options)
    return out.getvalue()


def _segments(jpeg: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the first scan, read independently."""
    assert jpeg[:2] == b"\xff\xd8"
    at, found = 2, []
    while True:
        assert jpeg[at] == 0xFF, at
        marker = jpeg[at + 1]
        if marker == 0xDA:
            return found
        length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
        found.append((marker, jpeg[at + 4 : at + 2 + length]))
        at += 2 + length


def _pixels(jpeg: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(jpeg)) as picture:
        picture.load()
        return picture.mode, picture.size, picture.tobytes()


def _assert_fresh_baseline(jpeg: bytes) -> None:
    markers = [marker for marker, _ in _segments(jpeg)]
    assert markers.count(SOF0) == 1, [hex(m) for m in markers]  # baseline, one frame
    assert set(markers) <= {APP0, 0xDB, SOF0, 0xC4}, [hex(m) for m in markers]
    for marker, payload in _segments(jpeg):
        if marker == APP0:
            assert payload.startswith(b"JFIF\x00")  # libjpeg's own header only
    assert jpeg.endswith(b"\xff\xd9")


ENCODINGS = {
    "baseline 4:2:0": ("RGB", {"quality": 95}),
    "baseline 4:4:4": ("RGB", {"quality": 90, "subsampling": 0}),
    "progressive": ("RGB", {"quality": 75, "progressive": True}),
    "optimised Huffman tables": ("RGB", {"quality": 85, "optimize": True}),
    "restart markers": ("RGB", {"quality": 80, "restart_marker_blocks": 4}),
    "grey": ("L", {"quality": 90}),
    "grey progressive": ("L", {"quality": 70, "progressive": True}),
}


@pytest.mark.parametrize(("mode", "options"), ENCODINGS.values(), ids=list(ENCODINGS))
def test_the_transcoded_jpeg_has_the_originals_pixels_as_a_fresh_baseline_jpeg(
    mode: str, options: dict[str, object]
) -> None:
    original = _jpeg(_picture(mode), **options)
    out = transcode_jpeg(original, 240, 320, grey=mode == "L")
    assert out is not None
    assert _pixels(out) == _pixels(original)  # lossless: every pixel as before
    _assert_fresh_baseline(out)  # whatever the original's coding was
    if options.get("progressive"):
        assert SOF2 in [marker for marker, _ in _segments(original)]
    if options.get("restart_marker_blocks"):
        assert DRI in [marker for marker, _ in _segments(original)]
    # The encoder's output is a function of the coefficients alone: written again, the
    # same bytes. So a file libjpeg wrote as baseline with the standard tables (Pillow's
    # default) comes back byte for byte, every other coding does not.
    assert transcode_jpeg(out, 240, 320, grey=mode == "L") == out
    canonical = not {"progressive", "optimize", "restart_marker_blocks"} & options.keys()
    assert (out == original) is canonical


def _with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """``jpeg`` with one more segment right after SOI."""
    segment = bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]


def test_no_marker_comment_metadata_or_trailing_bytes_of_the_original_survive() -> None:
    original = _jpeg(
        _picture(),
        quality=92,
        comment=PAYLOAD,
        exif=b"Exif\x00\x00" + PAYLOAD,
        icc_profile=PAYLOAD * 5000,  # more than one APP2 segment
        dpi=(300, 300),
    )
    original = _with_segment(original, 0xEF, b"Vendor\x00" + PAYLOAD)  # an unknown APP15
    original = _with_segment(original, 0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + PAYLOAD)
    original += b"TRAILING " + PAYLOAD  # after the end marker
    markers = {marker for marker, _ in _segments(original)}
    assert {COM, 0xE1, 0xE2, 0xEF} <= markers  # what the test is about is really there
    out = transcode_jpeg(original, 240, 320, grey=False)
    assert out is not None
    assert PAYLOAD not in out
    _assert_fresh_baseline(out)
    assert _pixels(out) == _pixels(original)
    with Image.open(io.BytesIO(out)) as picture:
        assert "exif" not in picture.info
        assert "icc_profile" not in picture.info
        assert "comment" not in picture.info
        assert "dpi" not in picture.info  # nor the density: our JFIF header, not its
    assert _segments(out)[0] == (APP0, CANONICAL_JFIF)


# libjpeg's default JFIF header (version 1.01, no unit, density 1:1, no thumbnail), as
# Pillow writes it when given no dpi: read from a JPEG, not from the module under test.
CANONICAL_JFIF = _segments(_jpeg(Image.new("L", (8, 8))))[0][1]
DQT, SOS = 0xDB, 0xDA


def _rewritten(jpeg: bytes, marker: int, rewrite: Callable[[bytes], bytes], nth: int = 0) -> bytes:
    """``jpeg`` with the payload of its ``nth`` segment ``marker`` (before the first scan)
    replaced by ``rewrite(payload)``."""
    at, seen = 2, 0
    while jpeg[at + 1] != SOS:
        end = at + 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
        if jpeg[at + 1] == marker:
            if seen == nth:
                payload = rewrite(jpeg[at + 4 : end])
                segment = bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big")
                return jpeg[:at] + segment + payload + jpeg[end:]
            seen += 1
        at = end
    raise AssertionError(f"no segment {marker:#x} number {nth}")


# 64 bytes of the sender's choice as a quantisation table (no zero: a valid table).
TABLE_PAYLOAD = (b"SECRET-PAYLOAD-" * 5)[:64]


def _with_table(jpeg: bytes, table: bytes, nth: int = 0) -> bytes:
    """``jpeg`` with the ``nth`` DQT segment's (first) table replaced by ``table``."""
    return _rewritten(jpeg, DQT, lambda payload: payload[:1] + table + payload[65:], nth)


def _first_table(jpeg: bytes) -> bytes:
    """The first DQT segment's payload."""
    return next(payload for marker, payload in _segments(jpeg) if marker == DQT)


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_jpeg_with_a_table_of_its_own_is_not_transcoded_and_the_table_does_not_leave(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for nth in range(1 if mode == "L" else 2):  # luminance, chrominance table
        original = _with_table(_jpeg(_picture(mode), quality=90), TABLE_PAYLOAD, nth)
        assert TABLE_PAYLOAD in original
        with Image.open(io.BytesIO(original)) as picture:
            picture.load()  # a JPEG any decoder takes
        grey = mode == "L"
        assert transcode_jpeg(original, 240, 320, grey=grey) is None
        space = "/DeviceGray" if grey else "/DeviceRGB"
        page = _scan_jpeg(_Scan(original, 240, 320, space, 240, 320))
        assert page is not None  # Pillow's decode and re-encode, with its own tables
        assert TABLE_PAYLOAD[:16] not in page.jpeg
        assert _pixels(page.jpeg)[:2] == (mode, (240, 320))
        # The check of the transcoder's output refuses it too, on its own.
        with monkeypatch.context() as patched:
            patched.setattr(attachments, "_standard_quantisation", lambda _jpeg: True)
            assert transcode_jpeg(original, 240, 320, grey=grey) is None


def test_a_table_of_16_bit_entries_is_not_transcoded() -> None:
    original = _jpeg(_picture(), quality=75)
    table = _first_table(original)  # the standard luminance table at quality 75
    assert table[0] == 0
    wide = bytes((0x10,)) + b"".join(value.to_bytes(2, "big") for value in table[1:65])
    original = _rewritten(original, DQT, lambda _payload: wide)
    with Image.open(io.BytesIO(original)) as picture:
        picture.load()
    assert transcode_jpeg(original, 240, 320, grey=False) is None


def test_a_table_defined_between_scans_does_not_leave() -> None:
    original = _jpeg(_picture(), quality=80, progressive=True)
    second_scan = original.index(b"\xff\xda", original.index(b"\xff\xda") + 2)
    for slot in (0, 2):  # redefining the luminance table after its first scan, an unused one
        dqt = b"\xff\xdb\x00\x43" + bytes((slot,)) + TABLE_PAYLOAD
        changed = original[:second_scan] + dqt + original[second_scan:]
        out = transcode_jpeg(changed, 240, 320, grey=False)
        assert out is None or TABLE_PAYLOAD[:16] not in out
        page = _scan_jpeg(_Scan(changed, 240, 320, "/DeviceRGB", 240, 320))
        assert page is not None
        assert TABLE_PAYLOAD[:16] not in page.jpeg


def test_the_jfif_header_component_numbers_and_table_slots_are_written_canonically() -> None:
    original = _jpeg(_picture(), quality=85)
    odd_jfif = b"JFIF\x00\x01\x7f\x02\x12\x34\x56\x78\x01\x01" + b"\xab\xcd\xef"  # 1x1 thumbnail
    changed = _rewritten(original, APP0, lambda _payload: odd_jfif)
    # Components numbered 0x53, 0x45, 0x43 ("SEC"), the luminance table in slot 3.
    changed = _rewritten(changed, DQT, lambda payload: b"\x03" + payload[1:])
    changed = _rewritten(
        changed,
        SOF0,
        lambda frame: frame[:6] + b"S\x22\x03E\x11\x01C\x11\x01",
    )
    changed = changed.replace(
        b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11", b"\xff\xda\x00\x0c\x03S\x00E\x11C\x11"
    )
    segments = dict(_segments(changed))
    assert segments[APP0] == odd_jfif
    assert segments[SOF0][6::3] == b"SEC"
    assert _pixels(changed) == _pixels(original)  # the same picture to a decoder
    out = transcode_jpeg(changed, 240, 320, grey=False)
    assert out is not None
    assert _pixels(out) == _pixels(original)
    assert out == original  # Pillow's header is the canonical one: byte for byte


def _corrupted(jpeg: bytes) -> bytes:
    """A byte in the middle of the entropy-coded data replaced by a marker."""
    middle = len(jpeg) // 2
    return jpeg[:middle] + b"\xff\xd0\xff\xd0" + jpeg[middle + 4 :]


REFUSED = {
    "smaller than the dictionary says": (_jpeg(_picture(size=(120, 160))), False),
    "grey where colour is expected": (_jpeg(_picture("L")), False),
    "colour where grey is expected": (_jpeg(_picture()), True),
    "CMYK": (_jpeg(_picture().convert("CMYK")), False),
    "RGB-coded (no colour transform)": (_jpeg(_picture(), keep_rgb=True), False),
    "truncated": (_jpeg(_picture())[:3000], False),
    "corrupt entropy-coded data": (_corrupted(_jpeg(_picture(), quality=95)), False),
    "not a JPEG": (b"\xff\xd8 not really " + PAYLOAD, False),
    "empty": (b"", False),
}


@pytest.mark.parametrize(("data", "grey"), REFUSED.values(), ids=list(REFUSED))
def test_what_the_transcoder_cannot_take_cleanly_is_refused(data: bytes, grey: bool) -> None:
    assert transcode_jpeg(data, 240, 320, grey=grey) is None


def test_a_refused_picture_goes_through_pillow_and_loses_its_comment() -> None:
    corrupt = _corrupted(_jpeg(_picture(), quality=95, comment=PAYLOAD))
    assert transcode_jpeg(corrupt, 240, 320, grey=False) is None
    page = _scan_jpeg(_Scan(corrupt, 240, 320, "/DeviceRGB", 240, 320))
    assert page is not None  # Pillow decodes past the damage, as pdfium would
    assert PAYLOAD not in page.jpeg
    assert _pixels(page.jpeg)[:2] == ("RGB", (240, 320))


def test_a_scan_coarser_than_72_dpi_is_enlarged_by_pillow_not_transcoded() -> None:
    original = _jpeg(_picture(), quality=90)
    page = _scan_jpeg(_Scan(original, 240, 320, "/DeviceRGB", 480, 640))  # 36 DPI
    assert page is not None
    assert (page.pixel_width, page.pixel_height) == (480, 640)
    assert _pixels(page.jpeg)[1] == (480, 640)


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_scan_is_transcoded_at_its_own_size(mode: str) -> None:
    original = _jpeg(_picture(mode), quality=90, comment=PAYLOAD)
    space = "/DeviceGray" if mode == "L" else "/DeviceRGB"
    page = _scan_jpeg(_Scan(original, 240, 320, space, 240, 320))
    assert page is not None
    assert page.colour_space == space
    assert _pixels(page.jpeg) == _pixels(original)  # transcoded: lossless
    assert PAYLOAD not in page.jpeg


def test_without_the_library_one_warning_at_load_and_pillow_does_the_work(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(attachments, "TURBOJPEG_SONAME", "libturbojpeg-missing.so.0")
    with caplog.at_level(logging.WARNING, logger="ictinfra.mailsan.attachments"):
        assert attachments._load_turbojpeg() is None
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "libturbojpeg0" in caplog.text
    monkeypatch.setattr(attachments, "TURBOJPEG", None)
    original = _jpeg(_picture(), quality=95, comment=PAYLOAD)
    assert transcode_jpeg(original, 240, 320, grey=False) is None
    caplog.clear()
    page = _scan_jpeg(_Scan(original, 240, 320, "/DeviceRGB", 240, 320))
    assert page is not None
    assert PAYLOAD not in page.jpeg
    assert _pixels(page.jpeg) != _pixels(original)  # re-encoded (lossy), not transcoded
    assert caplog.records == []  # nothing said per picture


@pytest.mark.parametrize(
    ("mode", "quality"), [("RGB", 10), ("RGB", 50), ("RGB", 75), ("RGB", 95), ("L", 75)]
)
def test_a_jpeg_with_the_standard_tables_is_transcoded_losslessly(mode: str, quality: int) -> None:
    original = _jpeg(_picture(mode), quality=quality)
    out = transcode_jpeg(original, 240, 320, grey=mode == "L")
    assert out is not None
    assert _pixels(out) == _pixels(original)
    assert out == original  # Pillow's baseline JPEG: nothing to change


def test_every_quality_level_pillow_writes_has_standard_tables() -> None:
    small = _picture(size=(16, 16))
    for quality in range(101):  # 0 is libjpeg's 1
        for picture in (small, small.convert("L")):
            assert attachments._standard_quantisation(_jpeg(picture, quality=quality)), quality
    # A table one step off any standard one is not.
    original = _jpeg(small, quality=75)
    table = bytearray(_first_table(original)[1:65])
    table[63] += 1
    assert not attachments._standard_quantisation(_with_table(original, bytes(table)))
