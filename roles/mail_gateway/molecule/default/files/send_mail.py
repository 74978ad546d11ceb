#!/usr/bin/python3
"""Compose a hostile message (HTML-only body with a link, a Word document with macros),
save its bytes, send it over SMTP to the gateway; print the SMTP outcome as JSON."""

import email.policy
import hashlib
import io
import json
import smtplib
import sys
import zipfile
from email.message import EmailMessage

out, subject = sys.argv[1], sys.argv[2]
msg = EmailMessage(policy=email.policy.SMTP)
msg["From"] = "sender@internet.example"
msg["To"] = "staff@lgwan.lab.invalid"
msg["Subject"] = subject
msg.set_content(
    "<html><body><p>請求書を確認してください。</p>"
    '<p><a href="https://login.phish.example/pay">こちらからログイン</a></p>'
    "<table><tr><td>金額</td><td>10,000円</td></tr></table></body></html>",
    subtype="html",
)
docm = io.BytesIO()
with zipfile.ZipFile(docm, "w") as zf:
    zf.writestr(
        "[Content_Types].xml",
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Override PartName="/word/document.xml" ContentType="application/'
        'vnd.ms-word.document.macroEnabled.main+xml"/></Types>',
    )
    zf.writestr("word/document.xml", "<w:document/>")
    zf.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 100)
msg.add_attachment(
    docm.getvalue(),
    maintype="application",
    subtype="vnd.ms-word.document.macroEnabled.12",
    filename="invoice.docm",
)
raw = msg.as_bytes()
with open(out, "wb") as fh:
    fh.write(raw)
result = {"sha256": hashlib.sha256(raw).hexdigest(), "code": 250, "reply": ""}
try:
    with smtplib.SMTP("127.0.0.1", 25, timeout=120) as client:
        client.sendmail("sender@internet.example", ["staff@lgwan.lab.invalid"], raw)
except smtplib.SMTPRecipientsRefused as exc:
    code, reply = next(iter(exc.recipients.values()))
    result.update(code=code, reply=reply.decode(errors="replace"))
except smtplib.SMTPResponseException as exc:
    result.update(code=exc.smtp_code, reply=exc.smtp_error.decode(errors="replace"))
print(json.dumps(result))
