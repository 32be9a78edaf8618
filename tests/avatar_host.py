"""A picture host over real HTTPS on localhost (self-signed, trusted through REQUESTS_CA_BUNDLE)."""
from __future__ import annotations

import io
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image


def picture(width: int = 300, height: int = 200, kind: str = "PNG", colour=(255, 107, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=kind)
    return out.getvalue()


class Host:
    """Routes: path -> (status, headers, body); requests: the paths asked for, in order."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.requests: list[str] = []
        self.base = ""

    def serve(self, path: str, body: bytes, content_type: str = "image/png", status: int = 200, **headers) -> str:
        self.routes[path] = (status, {"Content-Type": content_type, **headers}, body)
        return self.base + path


def _handler(host: Host):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            host.requests.append(self.path)
            status, headers, body = host.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"no"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def avatar_host(tmp_path, monkeypatch):
    """A picture host at https://localhost:<port> (allow "localhost" in AVATAR_HOSTS to use it)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    host = Host()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(host))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    host.base = f"https://localhost:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield host
    server.shutdown()
    thread.join(5)
    server.server_close()
