"""End-to-end mail throughput: Postfix alone vs Postfix + the sanitising filter, same run.

    .venv/bin/python bench/mail_throughput.py [--count N] [--workers W] [--senders S]
        [--kinds small,html+pdf,html+textpdf] [--mode milter|content_filter] [--repeat R]
    .venv/bin/python bench/mail_throughput.py --kill [--count 2000]
    .venv/bin/python bench/mail_throughput.py --profile html+pdf [--count 200]

For each kind of mail (small text; HTML with a 2-page scanned PDF, one JPEG per page;
HTML with a 2-page typeset text PDF; every message and every PDF distinct, so nothing
can be cached) it starts a throw-away Postfix on loopback
(ictinfra.mailsan.lab), injects N messages over SMTP with S parallel clients, and
measures the time until all N are in the Maildir and the queue is empty: Postfix alone,
then with a pass-through filter (the same milter protocol code answering ACCEPT without
storing or sanitising: the plumbing's own cost), then with the sanitising filter (W
workers). It prints messages per second, the CPU each side used per message (Postfix's
process tree; the filter's, converter children apart) and the ratio filter/alone (goal:
at least 0.5), then checks every delivered message really is sanitised (mark header, no
HTML part, an image-only PDF) and that a sample of originals decrypt from the quarantine.

``--kill``: N messages sent through an upstream Postfix (a real MTA: it retries on 4xx and
on dropped connections) relaying into the filtered one, while filter workers and then
the whole service are SIGKILLed; prints how many were delivered, lost, delivered twice.

``--profile KIND``: the filter's per-message work (store, sanitise, milter edits)
in-process under cProfile, without Postfix; prints the most expensive functions.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import io
import multiprocessing
import os
import pstats
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
import pikepdf
from PIL import Image

from ictinfra.mailsan import DEFAULT_POLICY, milter
from ictinfra.mailsan.lab import FilterProcess, PostfixLab, free_port
from ictinfra.mailsan.quarantine import Quarantine, new_key
from ictinfra.mailsan.sanitise import sanitise
from ictinfra.mailsan.service import FilterConfig, Reinjector
from tests.mailsan.safety import assert_safe

DOMAIN = "lgwan.lab.invalid"


def small(i: int) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "sender@internet.example"
    msg["To"] = f"user@{DOMAIN}"
    msg["Subject"] = f"small {i}"
    msg.set_content(f"短い本文です。 message {i}\nhttps://example.com/{i}\n")
    return msg.as_bytes()


def _pdf(i: int) -> bytes:
    """Two A4 pages carrying a scanned-looking picture, different for every message."""
    rng = random.Random(i)
    noise = rng.randbytes(100 * 100)
    page = Image.frombytes("L", (100, 100), noise).convert("RGB").resize((600, 850))
    out = io.BytesIO()
    page.save(out, format="PDF", save_all=True, append_images=[page], resolution=72)
    return out.getvalue()


def _text_pdf(i: int) -> bytes:
    """Two A4 pages of typeset text (Helvetica, 45 lines each), different for every
    message: the kind of PDF pdfium must render (no picture to re-encode)."""
    rng = random.Random(i)
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for page_number in (1, 2):
        pdf.add_blank_page(page_size=(595, 842))
        page = pdf.pages[-1]
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        lines = [
            f"BT /F1 10 Tf 56 {790 - 16 * n} Td (Item {i}-{page_number}-{n}: "
            f"{rng.randrange(10**6):,} yen, account {rng.randrange(10**8):08d}, "
            f"due 2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}) Tj ET"
            for n in range(45)
        ]
        page.Contents = pdf.make_stream("\n".join(lines).encode())
    out = io.BytesIO()
    pdf.save(out, compress_streams=True)
    return out.getvalue()


def _html_with(i: int, pdf: bytes, label: str) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "sender@internet.example"
    msg["To"] = f"user@{DOMAIN}"
    msg["Subject"] = f"{label} {i}"
    rows = "".join(f"<tr><td>{r}</td><td>項目 {r}</td></tr>" for r in range(200))
    msg.set_content("see html")
    msg.add_alternative(
        f"<html><body><p>資料 {i}</p><a href='https://e.example/{i}'>link</a>"
        f"<table>{rows}</table></body></html>",
        subtype="html",
    )
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"doc{i}.pdf")
    return msg.as_bytes()


def html_pdf(i: int) -> bytes:
    """HTML mail with a 2-page scanned PDF (one JPEG per page)."""
    return _html_with(i, _pdf(i), "html+pdf")


def html_textpdf(i: int) -> bytes:
    """HTML mail with a 2-page typeset text PDF (rendered by pdfium at 108 DPI)."""
    return _html_with(i, _text_pdf(i), "html+textpdf")


KINDS = {"small": small, "html+pdf": html_pdf, "html+textpdf": html_textpdf}


def _passthrough_milter(sock: socket.socket) -> None:
    """Reference only: the milter protocol code answering ACCEPT to every message (no
    store, no sanitising), to show what the plumbing itself costs."""

    async def accept(_msg: milter.Message, _leading_space: bool) -> milter.Answer:  # noqa: FBT001
        return [milter.packet(milter.ACCEPT)], None

    loop = asyncio.new_event_loop()
    loop.run_until_complete(
        loop.create_server(lambda: milter.MilterProtocol(accept, 1 << 30), sock=sock)
    )
    loop.run_forever()


def _passthrough_content_filter(sock: socket.socket, reinject_port: int) -> None:
    """Reference only: an aiosmtpd after-queue filter that re-injects without sanitising."""
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


def _send_all(port: int, messages: list[bytes], senders: int) -> None:
    def send(chunk: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
            for raw in chunk:
                client.sendmail("sender@internet.example", [f"user@{DOMAIN}"], raw)

    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, [messages[i::senders] for i in range(senders)]))


def _tree_cpu(root_pid: int) -> Counter[str]:
    """CPU seconds (user + system) of a process and all its descendants, including the
    children they have already reaped (cutime/cstime): Postfix's short-lived daemons and
    replaced filter workers count too. Keyed 'converter' for the filter's converter
    children (spawned interpreters), 'main' for everything else."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = sum(int(x) for x in fields[11:15]) / ticks
    total: Counter[str] = Counter()
    todo = [root_pid]
    while todo:
        pid = todo.pop()
        try:
            spawned = b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            spawned = False
        total["converter" if spawned else "main"] += used.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


class _CpuMeter:
    """CPU used by Postfix (its master's tree) and by the filter since construction."""

    def __init__(self, master: int, filter_pids: list[int]) -> None:
        self.master, self.filter_pids = master, filter_pids
        self.before = self._now()
        self.client_before = time.process_time()  # this process: the SMTP clients

    def _now(self) -> tuple[float, Counter[str]]:
        filt: Counter[str] = Counter()
        for pid in self.filter_pids:
            filt.update(_tree_cpu(pid))
        return _tree_cpu(self.master).total(), filt

    def per_message(self, count: int) -> str:
        postfix, filt = self._now()
        filt.subtract(self.before[1])
        client = (time.process_time() - self.client_before) / count * 1000
        postfix_ms = (postfix - self.before[0]) / count * 1000
        text = f"CPU/msg: clients {client:.1f}, Postfix {postfix_ms:.1f} ms"
        if self.filter_pids:
            text += (
                f", filter {filt.total() / count * 1000:.1f} ms"
                f" (converters {filt['converter'] / count * 1000:.1f})"
            )
        return text


def _check(condition: bool, what: object) -> None:  # noqa: FBT001
    if not condition:
        raise SystemExit(f"verification failed: {what}")


def _verify(kind: str, lab: PostfixLab, quarantine: Quarantine, count: int) -> str:
    """Every delivered message sanitised; a sample of originals decrypts exactly."""
    files = lab.delivered()
    subjects = Counter()
    for index, path in enumerate(files):
        raw = path.read_bytes()
        msg = assert_safe(raw)  # mark header, no HTML part, no link, image-only PDFs
        subjects[str(msg["Subject"])] += 1
        mark = str(msg["X-Mailsan"])
        _check(mark.startswith("verdict=deliver"), mark)
        if kind.startswith("html+"):
            _check("converted=1" in mark and "html-alternative-dropped" in mark, mark)
        if index % max(1, count // 20) == 0:
            original = quarantine.original(str(msg["X-Mailsan-Id"]))
            _check(f"Subject: {msg['Subject']}".encode() in original, "original")
    _check(len(subjects) == count, f"{len(subjects)} distinct of {count}")
    _check(max(subjects.values()) == 1, "a message delivered twice")
    return f"verified: {len(files)} delivered, all sanitised, originals decrypt"


def run(
    kind: str,
    messages: list[bytes],
    senders: int,
    workers: int | None,
    *,
    mode: str = "milter",
    passthrough: bool = False,
    converters: int = 1,
) -> tuple[float, str]:
    count = len(messages)
    root = Path(tempfile.mkdtemp(prefix="ictinfra-bench-"))
    filter_port = free_port() if workers else None
    lab = PostfixLab(root / "postfix", DEFAULT_POLICY, filter_port=filter_port, mode=mode)
    service = None
    procs: list[multiprocessing.process.BaseProcess] = []
    key = new_key()
    try:
        lab.start()
        if filter_port is not None and workers and passthrough:
            sock = socket.create_server(("127.0.0.1", filter_port))
            ctx = multiprocessing.get_context("fork")
            target, args = (
                (_passthrough_milter, (sock,))
                if mode == "milter"
                else (_passthrough_content_filter, (sock, lab.reinject_port))
            )
            procs = [ctx.Process(target=target, args=args, daemon=True) for _ in range(workers)]
            for proc in procs:
                proc.start()
            sock.close()
        elif filter_port is not None and workers:
            config = FilterConfig.model_validate(
                {
                    "listen_port": filter_port,
                    "reinject_port": lab.reinject_port,
                    "workers": workers,
                    "converters": converters,
                    "quarantine_dir": root / "quarantine",
                    "policy": DEFAULT_POLICY,
                    "mode": mode,
                }
            )
            service = FilterProcess(root / "filter", config, {"ICTINFRA_QUARANTINE_KEY": key})
            service.start()
            # Workers start their converter children: let them settle before timing.
            _send_all(lab.smtp_port, [small(-1)], 1)
            while len(lab.delivered()) < 1 or lab.queued():
                time.sleep(0.05)
            for path in lab.delivered():
                path.unlink()
        meter = _CpuMeter(
            int((root / "postfix" / "spool" / "pid" / "master.pid").read_text().strip()),
            [p.pid for p in procs if p.pid]
            + ([service.proc.pid] if service is not None and service.proc is not None else []),
        )
        start = time.monotonic()
        _send_all(lab.smtp_port, messages, senders)
        while len(lab.delivered()) < count or lab.queued():
            time.sleep(0.05)
            if time.monotonic() - start > 1800:
                raise SystemExit(f"{kind}: only {len(lab.delivered())} of {count} delivered")
        rate = count / (time.monotonic() - start)
        used = meter.per_message(count)
        verified = ""
        if service is not None:
            quarantine = Quarantine(root / "quarantine", base64.urlsafe_b64decode(key))
            verified = _verify(kind, lab, quarantine, count)
        return rate, f"{used}; {verified}" if verified else used
    finally:
        for proc in procs:
            proc.kill()
        if service is not None:
            service.stop()
        lab.stop()
        shutil.rmtree(root, ignore_errors=True)


def kill_run(count: int, senders: int, workers: int) -> None:
    """``count`` messages through an upstream Postfix into the milter-filtered one while
    filter workers, then the whole service, are SIGKILLed; each must arrive exactly once."""
    root = Path(tempfile.mkdtemp(prefix="ictinfra-bench-"))
    filter_port = free_port()
    lab = PostfixLab(root / "postfix", DEFAULT_POLICY, filter_port=filter_port)
    upstream = PostfixLab(
        root / "upstream",
        DEFAULT_POLICY,
        relay_port=lab.smtp_port,
        hostname="upstream.lab.invalid",
    )
    config = FilterConfig(
        listen_port=filter_port,
        workers=workers,
        quarantine_dir=root / "quarantine",
        policy=DEFAULT_POLICY,
    )
    service = FilterProcess(root / "filter", config, {"ICTINFRA_QUARANTINE_KEY": new_key()})
    try:
        lab.start()
        upstream.start()
        service.start()
        messages = [small(i) for i in range(count)]
        start = time.monotonic()
        with ThreadPoolExecutor(1) as pool:
            sending = pool.submit(_send_all, upstream.smtp_port, messages, senders)
            kills = 0
            while len(lab.delivered()) < count * 0.6 and time.monotonic() - start < 600:
                time.sleep(1.0)
                pids = service.worker_pids()
                if pids and kills < 5:
                    os.kill(pids[kills % len(pids)], signal.SIGKILL)
                    kills += 1
            service.kill()
            time.sleep(3)
            service.start()
            sending.result()
        while len(lab.delivered()) < count or lab.queued() or upstream.queued():
            time.sleep(1)
            upstream.flush()
            if time.monotonic() - start > 1800:
                break
        seen = Counter(
            BytesParser(policy=SMTP).parsebytes(p.read_bytes(), headersonly=True)["Subject"]
            for p in lab.delivered()
        )
        lost = count - len(seen)
        twice = sum(1 for n in seen.values() if n > 1)
        deferred = upstream.log().count("status=deferred")
        print(
            f"kill run (milter): {count} sent through an upstream Postfix, {kills} workers "
            f"killed, then the whole service; {len(seen)} delivered, {lost} lost, {twice} "
            f"delivered twice; upstream deferrals (4xx/dropped, retried): {deferred}; "
            f"{time.monotonic() - start:.0f} s"
        )
    finally:
        service.stop()
        upstream.stop()
        lab.stop()
        shutil.rmtree(root, ignore_errors=True)


def profile(kind: str, count: int) -> None:
    """The filter's per-message work in-process: store (encrypt, write, group fsync),
    sanitise, milter edits. No Postfix, no converter child."""
    root = Path(tempfile.mkdtemp(prefix="ictinfra-bench-"))
    try:
        quarantine = Quarantine(root, base64.urlsafe_b64decode(new_key()))
        messages = [KINDS[kind](i) for i in range(count)]

        def work() -> None:
            for raw in messages:
                record, durable = quarantine.store_begin(raw, "s@internet.example", ["u@x"])
                result = sanitise(raw, DEFAULT_POLICY, quarantine_id=record.id)
                durable.wait()
                quarantine.record_result(record, result, None)
                headers, _ = milter.split_message(raw)
                milter.edits(headers, result.message, leading_space=True)
                quarantine.mark_delivered(record.id)

        started = time.perf_counter()
        prof = cProfile.Profile()
        prof.runcall(work)
        elapsed = time.perf_counter() - started
        print(f"{kind}: {count} messages, {elapsed / count * 1000:.2f} ms each under cProfile")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--converters", type=int, default=1, help="converter children per worker")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument(
        "--kinds", default="small,html+pdf,html+textpdf", help="comma-separated mail kinds"
    )
    parser.add_argument("--mode", default="milter", choices=("milter", "content_filter"))
    parser.add_argument("--repeat", type=int, default=1, help="repeat each comparison")
    parser.add_argument("--kill", action="store_true", help="the kill-a-worker run instead")
    parser.add_argument("--profile", choices=sorted(KINDS), help="profile one kind in-process")
    args = parser.parse_args()
    if args.kill:
        kill_run(args.count, args.senders, args.workers)
        return
    if args.profile:
        profile(args.profile, args.count)
        return
    print(
        f"{args.count} messages per run, {args.senders} SMTP clients, {args.workers} filter "
        f"workers ({args.converters} converters each), mode {args.mode}, {os.cpu_count()} CPUs,"
        f" load {os.getloadavg()[0]:.1f}"
    )
    for kind in args.kinds.split(","):
        messages = [KINDS[kind](i) for i in range(args.count)]
        size = sum(map(len, messages)) // len(messages)
        ratios = []
        for attempt in range(1, args.repeat + 1):
            alone, alone_cpu = run(kind, messages, args.senders, None)
            plumbing, plumbing_cpu = run(
                kind, messages, args.senders, args.workers, mode=args.mode, passthrough=True
            )
            filtered, verified = run(
                kind,
                messages,
                args.senders,
                args.workers,
                mode=args.mode,
                converters=args.converters,
            )
            ratios.append(filtered / alone)
            print(
                f"{kind} ({size // 1024} KB) run {attempt}/{args.repeat},"
                f" load {os.getloadavg()[0]:.1f}\n"
                f"  Postfix alone           {alone:7.1f} msg/s  {alone_cpu}\n"
                f"  + pass-through {args.mode:8} {plumbing:7.1f} msg/s  {plumbing_cpu}\n"
                f"  + sanitising {args.mode:10} {filtered:7.1f} msg/s  {verified}\n"
                f"  ratio {filtered / alone:.2f} (goal >= 0.50; plumbing alone"
                f" {plumbing / alone:.2f})",
                flush=True,
            )
        if len(ratios) > 1:
            print(
                f"{kind}: ratio over {len(ratios)} runs: min {min(ratios):.2f},"
                f" median {sorted(ratios)[len(ratios) // 2]:.2f}, max {max(ratios):.2f}"
            )


if __name__ == "__main__":
    main()
