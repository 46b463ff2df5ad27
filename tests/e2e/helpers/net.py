"""What the public verifier may be made to fetch (the `verifier` fixture): a loopback HTTP server
that records every request, a host that accepts connections and never answers, a closed port,
unsigned credentials naming status lists, and POST /credentials/verify timed."""
import http.server
import socket
import threading
import time

VC_V2 = "https://www.w3.org/ns/credentials/v2"


class Listener:
    """An HTTP server on loopback that records every request and answers with chosen bodies."""

    def __init__(self):
        self.hits = []
        self.routes = {}
        hits, routes = self.hits, self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(h):
                hits.append(h.path)
                body = routes.get(h.path, b"{}")
                h.send_response(200)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body)

            def log_message(h, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class SilentHost:
    """Accepts connections and never answers; counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.host = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.closed = True
        self.sock.close()
        for c in self.accepted:
            c.close()


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def credential(issuer, **extra):
    return {"@context": [VC_V2], "type": ["VerifiableCredential"], "issuer": issuer,
            "credentialSubject": {"id": "did:example:learner", "name": "Exchange semester"},
            **extra}


def status_entry(url, index=5):
    return [{"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
             "statusPurpose": "revocation", "statusListIndex": str(index),
             "statusListCredential": url}]


def details(r):
    return {d["check"]: d for d in r.json()["details"]}


def verify(w, vc, checks=None, timeout=30):
    body = {"verifiableCredential": vc}
    if checks:
        body["options"] = {"checks": checks}
    started = time.monotonic()
    r = w["srv"].post("/credentials/verify", body, timeout=timeout)
    assert r.status in (200, 400), r
    return r, time.monotonic() - started
