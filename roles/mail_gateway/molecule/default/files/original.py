"""Compare a quarantined original, decrypted with the service's key, to the bytes sent
(run with the runtime's Python and the key in the environment; the key is never printed).
What Postfix handed over is the sent message plus its own trace header: the body must be
the exact bytes sent."""

import json
import sys
from pathlib import Path

from ictinfra.inventory.model import SecretRef
from ictinfra.mailsan.quarantine import Quarantine, load_key

folder, ident, sent_path = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
quarantine = Quarantine(folder, load_key(SecretRef(env="ICTINFRA_QUARANTINE_KEY")))
original = quarantine.original(ident)  # raises unless it decrypts and matches its hash
sent = sent_path.read_bytes()
body = sent.split(b"\r\n\r\n", 1)[1]
print(
    json.dumps(
        {
            "body_is_the_sent_body": original.split(b"\r\n\r\n", 1)[1] == body,
            "ends_with_sent": original.endswith(sent),
            "objects": [o.action for o in quarantine.get(ident).objects],
        }
    )
)
