#!/usr/bin/python3
"""Describe delivered messages whose Subject matches: parts, attachments, headers (JSON)."""

import email.policy
import json
import re
import sys
from email.parser import BytesParser
from pathlib import Path

subject = sys.argv[1]
found = []
for path in sorted(Path("/home/staff/Maildir").glob("*/*")):
    if not path.is_file():
        continue
    msg = BytesParser(policy=email.policy.SMTP).parsebytes(path.read_bytes())
    if msg["Subject"] != subject:
        continue
    parts, texts = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        parts.append({"type": part.get_content_type(), "filename": part.get_filename()})
        if part.get_content_maintype() == "text":
            texts.append(part.get_content())
    text = "\n".join(texts)
    found.append(
        {
            "parts": parts,
            "x_mailsan": str(msg["X-Mailsan"] or ""),
            "id": str(msg["X-Mailsan-Id"] or ""),
            "clickable": bool(re.search(r"(?i)\bhttps?://", text)),
            "mentions_docm": "invoice.docm" in text,
            "keeps_table": "10,000" in text,
        }
    )
print(json.dumps(found))
