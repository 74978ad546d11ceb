"""The sanitiser core on real corpora and on composed Japanese and hostile mail."""

from __future__ import annotations

import base64
import email.policy
import random
import subprocess
import sys
import time
from email.parser import BytesParser
from pathlib import Path

import pytest

from ictinfra.mailsan import DEFAULT_POLICY, Action, SanitisePolicy, Verdict, sanitise
from ictinfra.mailsan.text import decode_bytes, decode_header_value, neutralise_links
from tests.conftest import ROOT
from tests.mailsan import compose
from tests.mailsan.corpora import clamav_files, cpython_messages
from tests.mailsan.safety import assert_image_only_pdf, assert_safe, body_text

SMALL = DEFAULT_POLICY.model_copy(update={"archive_max_expanded_bytes": 8 * 1024 * 1024})


# --- Japanese charsets -----------------------------------------------------------------


@pytest.mark.parametrize("charset", ["iso-2022-jp", "shift_jis", "euc-jp", "utf-8"])
@pytest.mark.parametrize("html", [False, True])
def test_japanese_without_mojibake(charset: str, html: bool) -> None:
    # ① and ㈱ exist only in Microsoft's Shift_JIS (cp932) and in Unicode.
    text = compose.JAPANESE
    if charset in ("iso-2022-jp", "euc-jp"):
        text = text.replace("①", "").replace("㈱", "")
    result = sanitise(compose.raw_japanese(charset, html=html, text=text), DEFAULT_POLICY)
    assert result.verdict is Verdict.DELIVER
    msg = assert_safe(result.message)
    assert text in body_text(result.message)
    assert str(msg["Subject"]) == "会議資料のご送付"
    assert str(msg["From"]).startswith("三重太郎")
    assert ("html-to-text" in result.body_actions) is html


def test_wrong_label_is_repaired() -> None:
    # Shift_JIS bytes labelled ISO-2022-JP, a classic of Japanese bulk mail.
    raw = compose.raw_japanese("shift_jis").replace(b"charset=shift_jis", b"charset=iso-2022-jp")
    result = sanitise(raw, DEFAULT_POLICY)
    assert compose.JAPANESE in body_text(result.message)
    assert "charset-repaired" in result.body_actions


def test_raw_eight_bit_header_and_unknown_charset_do_not_crash() -> None:
    subject = "見積書".encode("cp932")
    raw = (
        b"From: a@internet.example\r\nTo: user@pref.test.example\r\nSubject: "
        + subject
        + b"\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
        + "本日は晴天".encode("euc_jp")
        + b"\xff\xfe\r\n"
    )
    result = sanitise(raw, DEFAULT_POLICY)
    msg = assert_safe(result.message)
    assert str(msg["Subject"]) == "見積書"
    assert result.verdict is Verdict.DELIVER


def test_decoders_directly() -> None:
    assert decode_bytes("①㈱".encode("cp932"), "Shift_JIS").text == "①㈱"
    assert decode_bytes("ｶﾀｶﾅ".encode("iso2022_jp_ext"), "ISO-2022-JP").text == "ｶﾀｶﾅ"
    assert decode_bytes("漢字".encode("euc_jp"), None).text == "漢字"
    # A multibyte character split across two encoded words is joined before decoding.
    utf8 = "日本".encode()
    words = " ".join(
        f"=?utf-8?b?{base64.b64encode(chunk).decode()}?=" for chunk in (utf8[:4], utf8[4:])
    )
    assert decode_header_value(words) == "日本"


# --- HTML and links --------------------------------------------------------------------


def test_html_becomes_readable_text_without_links() -> None:
    html = (
        "<html><head><script>steal()</script><style>p{}</style></head><body>"
        "<ul><li>項目一</li><li>項目二</li></ul>"
        "<table><tr><td>氏名</td><td>金額</td></tr><tr><td>三重</td><td>1,000</td></tr></table>"
        '<a href="https://evil.example/login">ログイン</a> <img src="http://track.example/p.gif">'
        "</body></html>"
    )
    msg = compose.message()
    msg.set_content(html, subtype="html")
    result = sanitise(msg.as_bytes(), DEFAULT_POLICY)
    assert_safe(result.message)
    text = body_text(result.message)
    assert "steal()" not in text
    assert "* 項目一" in text
    assert "氏名  金額" in text
    assert "ログイン → hxxps://evil[.]example/login" in result.links
    assert "hxxp://track[.]example/p[.]gif" in result.links
    assert "hxxps://evil[.]example/login" in text  # listed for the reader


def test_plain_text_links_are_defanged() -> None:
    text, links = neutralise_links("見て https://a.example/x?y=1、www.b.example。")
    assert "https://" not in text
    assert "www.b" not in text
    assert links == ("hxxps://a[.]example/x?y=1", "www[.]b[.]example")


def test_forged_mark_header_is_replaced() -> None:
    msg = compose.message()
    msg["X-Mailsan"] = "verdict=deliver; clean"
    result = sanitise(msg.as_bytes(), DEFAULT_POLICY)
    parsed = BytesParser(policy=email.policy.SMTP).parsebytes(result.message)
    assert parsed.get_all("X-Mailsan") == [result.summary]


# --- attachments by true type ----------------------------------------------------------


@pytest.mark.parametrize("path", clamav_files(), ids=lambda p: p.name)
def test_clamav_files_under_a_harmless_name(path: Path) -> None:
    raw = compose.with_attachment(path.read_bytes(), "invoice.pdf", "application/pdf")
    result = sanitise(raw, DEFAULT_POLICY)
    assert result.verdict is Verdict.DELIVER
    assert_safe(result.message)
    top = [o for o in result.objects if o.path == "invoice.pdf"]
    assert len(top) == 1
    if path.suffix == ".exe":
        assert top[0].action is Action.REMOVED
        assert "executable" in top[0].reason
    if path.name == "clam.pdf":
        assert top[0].action is Action.CONVERTED


def test_pdf_javascript_is_stripped_and_rendered_to_images() -> None:
    result = sanitise(
        compose.with_attachment(compose.pdf_with_javascript(), "a.pdf", "application/pdf"),
        DEFAULT_POLICY,
    )
    (rec,) = result.objects
    assert rec.action is Action.CONVERTED
    assert "JavaScript" in rec.reason
    assert "OpenAction" in rec.reason
    msg = assert_safe(result.message)
    (att,) = list(msg.iter_attachments())
    assert_image_only_pdf(att.get_payload(decode=True))


def test_image_is_reencoded_and_oversized_image_removed() -> None:
    # A payload hidden after the image data (polyglot) does not survive re-encoding.
    polyglot = compose.png() + b"MZ\x90\x00hidden-payload"
    ok = sanitise(compose.with_attachment(polyglot, "p.png", "image/png"), DEFAULT_POLICY)
    assert ok.objects[0].action is Action.CONVERTED
    assert b"hidden-payload" not in ok.message
    assert base64.b64encode(b"hidden-payload")[:12] not in ok.message
    tight = DEFAULT_POLICY.model_copy(update={"max_image_pixels": 100})
    big = sanitise(compose.with_attachment(compose.png(), "p.png"), tight)
    assert big.objects[0].action is Action.REMOVED


def test_office_with_macros_removed_by_content_not_name() -> None:
    raw = compose.with_attachment(compose.docm_with_macros(), "report.txt", "text/plain")
    result = sanitise(raw, DEFAULT_POLICY)
    assert result.objects[0].action is Action.REMOVED
    assert "macros" in result.objects[0].reason
    assert_safe(result.message)


def test_clean_office_document_fails_closed_without_converter() -> None:
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    raw = compose.with_attachment(compose.docx(), "議事録.docx")
    # Not on the allow-list (DEFAULT_POLICY lists no Office type): removed.
    (rec,) = sanitise(raw, DEFAULT_POLICY).objects
    assert rec.true_type == docx_type
    assert rec.action is Action.REMOVED
    assert "allow-list" in rec.reason
    # On the allow-list but conversion switched off: removed, never passed through.
    allowed = DEFAULT_POLICY.model_copy(
        update={
            "allowed_types": (*DEFAULT_POLICY.allowed_types, docx_type),
            "convert_office": False,
        }
    )
    result = sanitise(raw, allowed)
    (rec,) = result.objects
    assert rec.action is Action.REMOVED
    assert "no safe converter" in rec.reason
    assert "議事録.docx" in body_text(result.message)


def test_type_not_on_allow_list_is_removed() -> None:
    policy = SanitisePolicy(allowed_types=("text/plain",))
    result = sanitise(compose.with_attachment(compose.png(), "p.png", "image/png"), policy)
    assert result.objects[0].action is Action.REMOVED
    assert "allow-list" in result.objects[0].reason


# --- archives --------------------------------------------------------------------------


def test_zip_is_opened_and_rebuilt_with_safe_members() -> None:
    exe = (Path("/usr/share/clamav-testfiles") / "clam.exe").read_bytes()
    archive = compose.zip_of({"docs/readme.txt": b"hello", "run.exe": exe, "p.png": compose.png()})
    result = sanitise(compose.with_attachment(archive, "files.zip"), DEFAULT_POLICY)
    actions = {o.path: o.action for o in result.objects}
    assert actions["files.zip/run.exe"] is Action.REMOVED
    assert actions["files.zip/docs/readme.txt"] is Action.CONVERTED
    assert actions["files.zip"] is Action.CONVERTED
    assert_safe(result.message)


def test_zip_bomb_is_removed_quickly() -> None:
    bomb = compose.zip_bomb(expanded_mb=64)
    assert len(bomb) < 200_000
    result = sanitise(compose.with_attachment(bomb, "bomb.zip"), SMALL)
    (rec,) = [o for o in result.objects if o.path == "bomb.zip"]
    assert rec.action is Action.REMOVED
    assert "limit" in rec.reason
    assert_safe(result.message)


def test_deep_nesting_and_member_count_limits() -> None:
    deep = compose.nested_zip(depth=6, payload=b"inner")
    result = sanitise(compose.with_attachment(deep, "deep.zip"), DEFAULT_POLICY)
    assert any("nested deeper" in o.reason for o in result.objects)
    assert_safe(result.message)
    many = compose.zip_of(
        {f"f{i}.txt": b"x" for i in range(DEFAULT_POLICY.archive_max_members + 1)}
    )
    crowd = sanitise(compose.with_attachment(many, "many.zip"), DEFAULT_POLICY)
    assert crowd.objects[-1].action is Action.REMOVED
    assert "members" in crowd.objects[-1].reason


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(compose.mark_encrypted(compose.zip_of({"a.txt": b"secret"})), id="zip"),
        pytest.param(compose.encrypted_pdf(), id="pdf"),
        pytest.param(compose.encrypted_docx(), id="office"),
        pytest.param(
            compose.zip_of({"inner.zip": compose.mark_encrypted(compose.zip_of({"a": b"s"}))}),
            id="nested-zip",
        ),
    ],
)
def test_encrypted_content_holds_the_message(payload: bytes) -> None:
    result = sanitise(compose.with_attachment(payload, "見積.zip"), DEFAULT_POLICY)
    assert result.verdict is Verdict.HOLD
    assert any(o.action is Action.HELD for o in result.objects)
    notice = body_text(result.message)
    assert "保留" in notice
    assert "HELD" in notice
    assert_safe(result.message)
    parsed = BytesParser(policy=email.policy.SMTP).parsebytes(result.message)
    assert list(parsed.iter_attachments()) == []


# --- malformed input -------------------------------------------------------------------


@pytest.mark.parametrize("path", cpython_messages(), ids=lambda p: p.name)
def test_cpython_corpus(path: Path) -> None:
    result = sanitise(path.read_bytes(), DEFAULT_POLICY)
    assert result.verdict is Verdict.DELIVER
    assert_safe(result.message)


def test_mutated_messages_never_crash() -> None:
    rng = random.Random(5)  # noqa: S311 - reproducible fuzzing, not cryptography
    seeds = [p.read_bytes() for p in cpython_messages()[:20]]
    seeds.append(compose.raw_japanese("iso-2022-jp", html=True, text="会議の資料"))
    for seed in seeds:
        for _ in range(10):
            data = bytearray(seed)
            for _ in range(rng.randint(1, 30)):
                pos = rng.randrange(len(data))
                data[pos] = rng.choice([0, 10, 13, 45, 61, 0x1B, 0x80, 0xFF, rng.randrange(256)])
            result = sanitise(bytes(data), DEFAULT_POLICY)
            assert_safe(result.message)


def test_deep_mime_nesting() -> None:
    inner = compose.nested_multipart(60)
    result = sanitise(b"From: a@b.example\r\nMIME-Version: 1.0\r\n" + inner, DEFAULT_POLICY)
    assert_safe(result.message)
    assert any("nested deeper" in o.reason for o in result.objects)


# --- the offline command ---------------------------------------------------------------


def test_command_line_exit_codes() -> None:
    cmd = [sys.executable, "-m", "ictinfra.mailsan", "sanitize"]
    ok = subprocess.run(
        cmd, input=compose.raw_japanese("shift_jis"), capture_output=True, check=False, cwd=ROOT
    )
    assert ok.returncode == 0, ok.stderr
    assert compose.JAPANESE in body_text(ok.stdout)
    ppap = compose.with_attachment(compose.mark_encrypted(compose.zip_of({"a": b"s"})), "a.zip")
    held = subprocess.run(cmd, input=ppap, capture_output=True, check=False, cwd=ROOT)
    assert held.returncode == 75
    assert "保留" in body_text(held.stdout)


def test_attached_message_is_sanitised_recursively() -> None:
    mail = Path("/usr/share/clamav-testfiles/clam.mail").read_bytes()
    result = sanitise(compose.with_attachment(mail, "fwd.dat"), DEFAULT_POLICY)
    actions = {o.path: o.action for o in result.objects}
    assert actions["fwd.dat"] is Action.CONVERTED
    assert actions["clam.exe"] is Action.REMOVED
    assert "Forwarded message" in body_text(result.message)
    assert_safe(result.message)


def _text_attachment(data: bytes, name: str) -> tuple[str, bytes, str]:
    result = sanitise(compose.with_attachment(data, name), DEFAULT_POLICY)
    msg = BytesParser(policy=email.policy.default).parsebytes(result.message)
    parts = list(msg.iter_attachments())
    assert len(parts) == 1, [p.get_filename() for p in parts]
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    reasons = " ".join(r.reason for r in result.objects)
    return parts[0].get_filename() or "", payload, reasons


def test_csv_formula_cells_become_literal_and_numbers_stay() -> None:
    data = (
        b"name,amount,note\r\n"
        b"tax,-5,+1.5e3\r\n"
        b"x,=cmd|' /c calc'!A0,@SUM(A1:A2)\r\n"
        b'"quoted"," =HYPERLINK(""http://evil.example"")",-\r\n'
    )
    name, payload, reasons = _text_attachment(data, "report.csv")
    assert name == "report.csv"
    rows = payload.decode().splitlines()
    assert rows[1] == "tax,-5,+1.5e3"  # numbers are not formulas
    assert rows[2].startswith("x,'=cmd|")
    assert ",'@SUM(A1:A2)" in rows[2]
    assert "' =HYPERLINK" in rows[3]
    assert rows[3].endswith(",'-")
    assert "4 spreadsheet formula cells made literal" in reasons


def test_tsv_formula_neutralised_and_clean_csv_untouched() -> None:
    _, payload, _ = _text_attachment(b"a\t=1+1\n", "t.tsv")
    assert payload.decode().splitlines() == ["a\t'=1+1"]
    clean = b"id,name\r\n1,Mie\r\n"
    name, payload, reasons = _text_attachment(clean, "clean.csv")
    assert (name, payload) == ("clean.csv", clean)
    assert "formula" not in reasons


@pytest.mark.parametrize("name", ["query.iqy", "sheet.slk", "page.hta", "data.xml", "README"])
def test_text_under_a_name_that_programs_interpret_is_delivered_as_txt(name: str) -> None:
    got, payload, reasons = _text_attachment(b"WEB\r\n1\r\nhttp://x.example/\r\n", name)
    assert got == f"{name}.txt"
    assert b"http://" not in payload  # and its link is neutralised as in any text
    assert f"delivered as {name}.txt" in reasons


def test_plain_text_names_are_kept() -> None:
    got, _, _ = _text_attachment(b"just notes\n", "notes.txt")
    assert got == "notes.txt"


def test_an_image_only_pdf_is_the_same_bytes_in_another_process_later() -> None:
    # A pass repeated after a crash (file transfer, milter retry) must produce what the
    # first produced, or it cannot recognise what it already delivered.
    code = (
        "import hashlib, sys; from tests.mailsan import compose;"
        "from ictinfra.mailsan.attachments import Budget, process;"
        "from ictinfra.mailsan.policy import DEFAULT_POLICY as P;"
        "out = process(compose.pdf_with_javascript(), path='a.pdf', declared=None, policy=P,"
        " budget=Budget(members=10, expanded=10**8));"
        "print(hashlib.sha256(out.deliver[0].data).hexdigest())"
    )
    digests = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        digests.append(done.stdout.strip())
        time.sleep(1.1)  # a clock-derived file ID would differ now
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]
