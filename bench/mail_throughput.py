"""End-to-end mail throughput: Postfix alone vs Postfix + the sanitising filter, same run.

    .venv/bin/python bench/mail_throughput.py [--count N] [--workers W] [--senders S]
    .venv/bin/python bench/mail_throughput.py --kill [--count 2000]

For each of two kinds of mail (small text; HTML with a PDF attachment) it starts a
throw-away Postfix on loopback (ictinfra.mailsan.lab), injects N messages over SMTP with S
parallel clients, and measures the time until all N are in the Maildir and the queue is
empty; then the same with the filter service (W workers) in the path. It prints messages
per second and the ratio filter/alone (goal: at least 0.5), plus a pass-through filter
(re-injects without sanitising or storing) to separate the plumbing's cost from ours.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import os
import random
import shutil
import signal
import smtplib
import socket
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosmtpd.smtp
from PIL import Image

from ictinfra.mailsan import DEFAULT_POLICY
from ictinfra.mailsan.lab import FilterProcess, PostfixLab, free_port
from ictinfra.mailsan.quarantine import new_key
from ictinfra.mailsan.service import FilterConfig, Reinjector

DOMAIN = "lgwan.lab.invalid"


def small(i: int) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "sender@internet.example"
    msg["To"] = f"user@{DOMAIN}"
    msg["Subject"] = f"small {i}"
    msg.set_content(f"短い本文です。 message {i}\nhttps://example.com/{i}\n")
    return msg.as_bytes()


def _pdf() -> bytes:
    """Two A4 pages carrying a scanned-looking picture: the message is about 200 KB."""
    rng = random.Random(1)
    noise = bytes(rng.randrange(256) for _ in range(100 * 100))
    page = Image.frombytes("L", (100, 100), noise).convert("RGB").resize((600, 850))
    out = io.BytesIO()
    page.save(out, format="PDF", save_all=True, append_images=[page], resolution=72)
    return out.getvalue()


PDF = _pdf()


def html_pdf(i: int) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "sender@internet.example"
    msg["To"] = f"user@{DOMAIN}"
    msg["Subject"] = f"html+pdf {i}"
    rows = "".join(f"<tr><td>{r}</td><td>項目 {r}</td></tr>" for r in range(200))
    msg.set_content("see html")
    msg.add_alternative(
        f"<html><body><p>資料 {i}</p><a href='https://e.example/{i}'>link</a>"
        f"<table>{rows}</table></body></html>",
        subtype="html",
    )
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename=f"doc{i}.pdf")
    return msg.as_bytes()


def _passthrough_worker(sock: socket.socket, reinject_port: int) -> None:
    """Reference only: an aiosmtpd filter that re-injects without sanitising or storing,
    to show what the after-queue plumbing itself costs."""
    reinjector = Reinjector("127.0.0.1", reinject_port, 60)

    class Handler:
        async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
            self, _server: aiosmtpd.smtp.SMTP, _session: object, env: aiosmtpd.smtp.Envelope
        ) -> str:
            if not isinstance(env.original_content, bytes):
                return "451 4.3.0 no content"
            reinjector.send(env.original_content, env.mail_from or "", env.rcpt_tos, lambda: None)
            return "250 2.0.0 passed"

    loop = asyncio.new_event_loop()

    def factory() -> aiosmtpd.smtp.SMTP:
        limit = 64 * 1024 * 1024
        return aiosmtpd.smtp.SMTP(
            Handler(), hostname="pt", decode_data=False, loop=loop, data_size_limit=limit
        )

    loop.run_until_complete(loop.create_server(factory, sock=sock))
    loop.run_forever()


def run(
    kind: str, count: int, senders: int, workers: int | None, *, passthrough: bool = False
) -> float:
    make = small if kind == "small" else html_pdf
    messages = [make(i) for i in range(count)]
    root = Path(tempfile.mkdtemp(prefix="ictinfra-bench-"))
    filter_port = free_port() if workers else None
    lab = PostfixLab(root / "postfix", DEFAULT_POLICY, filter_port=filter_port)
    service = None
    try:
        lab.start()
        procs = []
        if filter_port is not None and workers and passthrough:
            sock = socket.create_server(("127.0.0.1", filter_port))
            ctx = multiprocessing.get_context("fork")
            procs = [
                ctx.Process(target=_passthrough_worker, args=(sock, lab.reinject_port), daemon=True)
                for _ in range(workers)
            ]
            for proc in procs:
                proc.start()
            sock.close()
        elif filter_port is not None and workers:
            config = FilterConfig(
                listen_port=filter_port,
                reinject_port=lab.reinject_port,
                workers=workers,
                quarantine_dir=root / "quarantine",
                policy=DEFAULT_POLICY,
            )
            service = FilterProcess(root / "filter", config, {"ICTINFRA_QUARANTINE_KEY": new_key()})
            service.start()

        def send(chunk: list[bytes]) -> None:
            with smtplib.SMTP("127.0.0.1", lab.smtp_port, timeout=60) as client:
                for raw in chunk:
                    client.sendmail("sender@internet.example", [f"user@{DOMAIN}"], raw)

        chunks = [messages[i::senders] for i in range(senders)]
        start = time.monotonic()
        with ThreadPoolExecutor(senders) as pool:
            list(pool.map(send, chunks))
        while len(lab.delivered()) < count or lab.queued():
            time.sleep(0.05)
            if time.monotonic() - start > 900:
                raise SystemExit(f"{kind}: only {len(lab.delivered())} of {count} delivered")
        rate = count / (time.monotonic() - start)
        for proc in procs:
            proc.kill()
        return rate
    finally:
        if service is not None:
            service.stop()
        lab.stop()
        shutil.rmtree(root, ignore_errors=True)


def kill_run(count: int, senders: int, workers: int) -> None:
    """``count`` messages while filter workers, then the whole service, are SIGKILLed;
    every message must arrive exactly once (checked by subject)."""
    root = Path(tempfile.mkdtemp(prefix="ictinfra-bench-"))
    filter_port = free_port()
    lab = PostfixLab(root / "postfix", DEFAULT_POLICY, filter_port=filter_port)
    config = FilterConfig(
        listen_port=filter_port,
        reinject_port=lab.reinject_port,
        workers=workers,
        quarantine_dir=root / "quarantine",
        policy=DEFAULT_POLICY,
    )
    service = FilterProcess(root / "filter", config, {"ICTINFRA_QUARANTINE_KEY": new_key()})
    try:
        lab.start()
        service.start()
        messages = [small(i) for i in range(count)]

        def send(chunk: list[bytes]) -> None:
            with smtplib.SMTP("127.0.0.1", lab.smtp_port, timeout=60) as client:
                for raw in chunk:
                    client.sendmail("sender@internet.example", [f"user@{DOMAIN}"], raw)

        start = time.monotonic()
        with ThreadPoolExecutor(senders + 1) as pool:
            futures = [pool.submit(send, messages[i::senders]) for i in range(senders)]
            kills = 0
            while len(lab.delivered()) < count * 0.6:
                time.sleep(1.5)
                pids = service.worker_pids()
                if pids and kills < 5:
                    os.kill(pids[0], signal.SIGKILL)
                    kills += 1
            service.kill()
            time.sleep(2)
            service.start()
            for future in futures:
                future.result()
        lab.flush()
        while len(lab.delivered()) < count or lab.queued():
            time.sleep(0.2)
            if time.monotonic() - start > 1200:
                break
        seen = Counter(
            BytesParser(policy=SMTP).parsebytes(p.read_bytes(), headersonly=True)["Subject"]
            for p in lab.delivered()
        )
        lost = count - len(seen)
        twice = sum(1 for n in seen.values() if n > 1)
        print(
            f"kill run: {count} sent, {kills} workers killed, service killed once; "
            f"{len(seen)} delivered, {lost} lost, {twice} delivered twice, "
            f"{time.monotonic() - start:.0f} s"
        )
    finally:
        service.stop()
        lab.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--kinds", default="small,html+pdf", help="comma-separated mail kinds")
    parser.add_argument("--kill", action="store_true", help="the kill-a-worker run instead")
    args = parser.parse_args()
    if args.kill:
        kill_run(args.count, args.senders, args.workers)
        return
    print(
        f"{args.count} messages per run, {args.senders} SMTP clients, {args.workers} filter workers"
    )
    for kind in args.kinds.split(","):
        alone = run(kind, args.count, args.senders, None)
        plumbing = run(kind, args.count, args.senders, args.workers, passthrough=True)
        filtered = run(kind, args.count, args.senders, args.workers)
        print(
            f"{kind:9} Postfix alone {alone:7.1f} msg/s | + pass-through filter {plumbing:7.1f}"
            f" | + sanitising filter {filtered:7.1f} msg/s"
            f" | ratio {filtered / alone:.2f} (goal >= 0.50; plumbing alone {plumbing / alone:.2f})"
        )


if __name__ == "__main__":
    main()
