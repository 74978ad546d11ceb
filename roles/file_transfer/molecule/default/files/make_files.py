"""Write the test files into a folder and print their sha256 (JSON): a PDF that takes far
longer to render than the scenario's time limit (written first, so it is taken first), a
PDF with JavaScript, an executable, a Word document with macros, an encrypted zip (PPAP).
Run with the runtime's Python (pikepdf)."""

import hashlib
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path

import pikepdf

folder = Path(sys.argv[1])
pdf = pikepdf.new()
pdf.add_blank_page(page_size=(200, 200))
pdf.Root.OpenAction = pdf.make_indirect(
    pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')"))
)
buf = io.BytesIO()
pdf.save(buf)

# One page of 400,000 strokes: small to send, about 30 s to render on an idle core.
slow = pikepdf.new()
slow.add_blank_page(page_size=(600, 800))
slow.pages[0].Contents = slow.make_stream(
    b"0.5 w "
    + b"".join(
        b"%d %d m %d %d l S " % (i % 600, i % 797, (i * 7) % 600, (i * 13) % 800)
        for i in range(400_000)
    )
)
slow_buf = io.BytesIO()
slow.save(slow_buf, compress_streams=True)


def zipped(members, encrypted=False):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    data = bytearray(out.getvalue())
    if encrypted:  # the flag ZipCrypto sets, in local and central headers
        for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = 0
            while (i := data.find(sig, start)) >= 0:
                data[i + off] |= 1
                start = i + 4
    return bytes(data)


files = {
    "slow.pdf": slow_buf.getvalue(),
    "report.pdf": buf.getvalue(),
    "setup.exe": Path("/bin/true").read_bytes(),
    "invoice.docm": zipped(
        {
            "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
            'document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.'
            'main+xml"/></Types>',
            "word/document.xml": "<w:document/>",
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 100,
        }
    ),
    "ppap.zip": zipped({"mitsumori.xlsx": b"secret"}, encrypted=True),
}
for name, data in files.items():
    # Uploaders write under a temporary name and rename: never half a file in the inbox.
    (folder / f"{name}.part").write_bytes(data)
    (folder / f"{name}.part").rename(folder / name)
    if name == "slow.pdf":  # the oldest: the service takes it before the others
        past = time.time() - 60
        os.utime(folder / name, (past, past))
print(json.dumps({name: hashlib.sha256(data).hexdigest() for name, data in files.items()}))
