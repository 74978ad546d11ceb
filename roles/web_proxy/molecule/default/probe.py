#!/usr/bin/python3
"""Test client for the isolation roles' Molecule scenarios: real requests, one JSON line out.

probe.py get PROXY PORT URL [HEADER:VALUE ...]   GET through the proxy
probe.py connect PROXY PORT HOST TPORT           CONNECT through the proxy, then GET in the tunnel
probe.py direct URL                              GET with no proxy
probe.py env URL                                 GET with the environment's proxy settings
probe.py tcp HOST PORT                           TCP connect only
probe.py rdp HOST PORT PROTOCOLS                 RDP X.224 connection request, TLS if selected
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import struct
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

TIMEOUT = 4
Result = dict[str, Any]


def _http(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str]) -> Result:
    # Only http:// URLs of the scenario's own containers are fetched.
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            body = response.read(2000).decode(errors="replace")
            return {"ok": True, "status": response.status, "body": body}
    except urllib.error.HTTPError as exc:
        return {"ok": False, "status": exc.code, "error": str(exc)}
    except OSError as exc:
        return {"ok": False, "status": None, "error": f"{type(exc).__name__}: {exc}"}


def get(proxy: str, port: str, url: str, *headers: str) -> Result:
    proxy_url = f"http://{proxy}:{port}"
    handler = urllib.request.ProxyHandler({"http": proxy_url, "https": proxy_url})
    fields = dict(h.split(":", 1) for h in headers)
    return _http(urllib.request.build_opener(handler), url, fields)


def direct(url: str) -> Result:
    return _http(urllib.request.build_opener(urllib.request.ProxyHandler({})), url, {})


def env(url: str) -> Result:
    """GET with the proxy settings of the caller's environment (run it in a login session)."""
    return _http(urllib.request.build_opener(), url, {})


def connect(proxy: str, port: str, host: str, tport: str) -> Result:
    conn = http.client.HTTPConnection(proxy, int(port), timeout=TIMEOUT)
    conn.set_tunnel(host, int(tport))
    try:
        conn.request("GET", "/tunnel")
        response = conn.getresponse()
        body = response.read(2000).decode(errors="replace")
    except OSError as exc:
        return {"ok": False, "status": None, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        conn.close()
    return {"ok": True, "status": response.status, "body": body}


def tcp(host: str, port: str) -> Result:
    try:
        with socket.create_connection((host, int(port)), timeout=TIMEOUT):
            return {"ok": True}
    except OSError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def rdp(host: str, port: str, protocols: str) -> Result:
    # TPKT + X.224 Connection Request + RDP_NEG_REQ ([MS-RDPBCGR] 2.2.1.1).
    neg = struct.pack("<BBHI", 0x01, 0x00, 8, int(protocols))
    x224 = bytes([len(neg) + 6, 0xE0, 0, 0, 0, 0, 0]) + neg
    packet = struct.pack(">BBH", 3, 0, len(x224) + 4) + x224
    try:
        sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except OSError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    with sock:
        sock.sendall(packet)
        reply = sock.recv(64)
        if len(reply) < 19 or reply[0] != 3 or reply[5] != 0xD0:
            return {"ok": False, "error": f"not an X.224 connection confirm: {reply.hex()}"}
        kind, _flags, _length, value = struct.unpack("<BBHI", reply[11:19])
        names = {2: "response", 3: "failure"}
        out: Result = {"ok": True, "neg": names.get(kind, str(kind)), "value": value}
        if kind == 2 and value == 1:  # PROTOCOL_SSL: the session goes on in TLS
            context = ssl.create_default_context()
            context.check_hostname = False
            # The lab's xrdp has a self-signed certificate; the handshake itself is the test.
            context.verify_mode = ssl.CERT_NONE
            with context.wrap_socket(sock, server_hostname=host) as tls:
                out["tls"] = tls.version()
    return out


COMMANDS: dict[str, Callable[..., Result]] = {
    "get": get,
    "connect": connect,
    "direct": direct,
    "env": env,
    "tcp": tcp,
    "rdp": rdp,
}

if __name__ == "__main__":
    sys.stdout.write(json.dumps(COMMANDS[sys.argv[1]](*sys.argv[2:])) + "\n")
