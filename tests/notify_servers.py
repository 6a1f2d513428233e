"""Local stand-ins for the places notifications go (loopback only): a webhook that keeps the JSON posted to
it (or refuses, for a path holding ``fail``), and an SMTP server (aiosmtpd) that keeps each mail."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class WebhookHandler(BaseHTTPRequestHandler):
    posted: list[tuple[str, dict]] = []
    answer_after_seconds = 0.0  # a slow channel: keeps a delivery open while another process could decide

    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_POST(self):  # the name http.server calls
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        refused = "fail" in self.path
        if not refused:
            type(self).posted.append((self.path, body))
        time.sleep(self.answer_after_seconds)
        self.send_response(500 if refused else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def running_webhook() -> Iterator[str]:
    """Yield ``127.0.0.1:PORT`` of a webhook receiver; what it accepted is in ``WebhookHandler.posted``."""
    WebhookHandler.posted = []
    WebhookHandler.answer_after_seconds = 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class MailSink:
    def __init__(self):
        self.mails: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # the name aiosmtpd calls
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_smtp() -> Iterator[tuple[str, MailSink]]:
    """Yield (``127.0.0.1:PORT``, the sink whose ``mails`` are what arrived)."""
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"127.0.0.1:{controller.port}", sink
    finally:
        controller.stop()
