#!/usr/bin/env python3
"""The hostile load of bench/hostile, on loopback only.

  hostile-load.py silent PORT
      A did:web host that accepts every connection and never answers (nor closes): what a
      verifier's fetch of a silent issuer's DID document meets. Runs until killed.

  hostile-load.py load PORT BODY VERIFICATIONS SLOW [INTERVAL]
      Keeps VERIFICATIONS requests POST /credentials/verify with the JSON file BODY (a
      credential of the silent issuer) in progress on the server at 127.0.0.1:PORT, each sent
      again when it is answered but at most once every INTERVAL seconds (default 1: an
      attacker that the server answers at once cannot hold a request in progress, and without
      a pause the load generator would only measure how much of the machine's two cores a
      flood of new connections takes; 0 sends again at once), and SLOW connections that send a request head one header
      line a second (opened again when the server drops them). Runs until SIGTERM, then prints
      one line: answers to the verifications by status, and slow connections dropped."""
import collections
import signal
import socket
import sys
import threading
import time

stop = threading.Event()


def silent(port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    held = []
    while True:
        conn, _ = listener.accept()
        held.append(conn)  # never read, never answered, never closed


def verifier(port, body, answers, lock, interval):
    head = (f"POST /credentials/verify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    while not stop.is_set():
        sent = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
                s.sendall(head + body)
                data = b""
                while b"\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "closed"
        except OSError:
            status = "error"
            time.sleep(0.1)
        with lock:
            answers[status] += 1
        stop.wait(max(0.0, interval - (time.monotonic() - sent)))


def slow(port, dropped, lock):
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\n")
                while not stop.is_set():
                    s.sendall(b"X-Slow: 1\r\n")
                    time.sleep(1)
        except OSError:
            pass
        if not stop.is_set():
            with lock:
                dropped[0] += 1


def load(port, body_path, n_verify, n_slow, interval):
    body = open(body_path, "rb").read()
    answers, dropped, lock = collections.Counter(), [0], threading.Lock()
    threads = [threading.Thread(target=verifier, args=(port, body, answers, lock, interval),
                                daemon=True)
               for _ in range(n_verify)]
    threads += [threading.Thread(target=slow, args=(port, dropped, lock), daemon=True)
                for _ in range(n_slow)]
    for t in threads:
        t.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    stop.set()
    with lock:
        got = ", ".join(f"{n} × {s}" for s, n in sorted(answers.items())) or "none"
        print(f"silent-issuer verifications answered: {got}; slow connections dropped: "
              f"{dropped[0]}", flush=True)


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    if sys.argv[1] == "silent":
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        silent(int(sys.argv[2]))
    else:
        load(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
             float(sys.argv[6]) if len(sys.argv) > 6 else 1.0)
