#!/usr/bin/python3
"""Stands for web sites on the internet: plain HTTP on 80, 443 and 8443 (the proxy's
CONNECT tunnels carry plain HTTP in the test), cacheable answers, every request logged."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Any

LOG = Path("/var/log/web-requests.log")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        port = self.server.server_address[1]
        with LOG.open("a", encoding="utf-8") as log:
            log.write(
                f"{port} {self.client_address[0]} {self.path}"
                f" auth={'Authorization' in self.headers}"
                f" xff={self.headers.get('X-Forwarded-For')} via={self.headers.get('Via')}\n"
            )
        body = f"hello from web port {port} path {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "public, max-age=600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return


# Inside a test container: every interface is the scenario's network.
servers = [
    http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)  # noqa: S104
    for port in (80, 443, 8443)
]
for server in servers[1:]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
servers[0].serve_forever()
