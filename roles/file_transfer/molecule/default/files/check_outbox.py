"""Describe the outbox and the quarantine (JSON): per file, its true type, whether a PDF is
image-only, the notices, and the sha256 of every original decrypted from the quarantine.
Run with the runtime's Python and the key in the environment (never printed)."""

import hashlib
import io
import json
import sys
from pathlib import Path

import magic
import pikepdf

from ictinfra.inventory.model import SecretRef
from ictinfra.mailsan.quarantine import Quarantine, load_key

outbox, qdir = Path(sys.argv[1]), Path(sys.argv[2])


def image_only(data):
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if any(k in pdf.Root for k in ("/OpenAction", "/AA", "/AcroForm", "/Names")):
            return False
        for page in pdf.pages:
            xobjects = page.Resources.get("/XObject", {})
            if "/Font" in page.Resources or "/Annots" in page.obj:
                return False
            if not all(x.get("/Subtype") == pikepdf.Name.Image for x in xobjects.values()):
                return False
    return True


files = {}
for path in sorted(outbox.rglob("*")):
    if path.is_file():
        data = path.read_bytes()
        mime = magic.from_buffer(data, mime=True)
        files[path.name] = {
            "type": mime,
            "mode": oct(path.stat().st_mode & 0o777),
            "group": path.group(),
            "image_only": image_only(data) if mime == "application/pdf" else None,
            "text": data.decode("utf-8", "replace") if path.name.endswith(".notice.txt") else "",
        }
q = Quarantine(qdir, load_key(SecretRef(env="ICTINFRA_QUARANTINE_KEY")))
originals = {
    r.envelope_to[0]: {
        "sha256": hashlib.sha256(q.original(r.id)).hexdigest(),
        "status": r.status,
        "actions": sorted({o.action.value for o in r.objects}),
    }
    for r in q.records()
}
print(json.dumps({"outbox": files, "originals": originals}, ensure_ascii=False))
