"""The soak's callers: sync, Event and streamed invokes, classified into the ledger."""

from __future__ import annotations

import json
import random
import socket
import threading
import uuid
from collections.abc import Callable

import requests

from soak.ledger import Ledger

INVOKE = "/2015-03-31/functions/function/invocations"
STREAM = "/2021-11-15/functions/function/response-streaming-invocations"


def _sync_payload(rng: random.Random) -> dict[str, object]:
    roll = rng.random()
    if roll < 0.05:
        return {"action": "sleep", "seconds": 3}  # past the 2 s timeout
    if roll < 0.08:
        return {"action": "oom", "mib": 512}
    if roll < 0.3:
        return {"action": "sleep", "seconds": 0.2}
    return {"n": rng.randrange(1 << 30)}


def classify(resp: requests.Response) -> str:
    """The outcome class of one answer, ``MALFORMED ...`` when it is not well formed."""
    try:
        body: object = json.loads(resp.content) if resp.content else None
    except ValueError:
        return f"MALFORMED {resp.status_code} non-JSON body"
    if resp.status_code == 200:
        error = resp.headers.get("X-Amz-Function-Error")
        if error:
            if isinstance(body, dict) and "errorType" in body:
                return f"200 {body['errorType']}"
            return "MALFORMED 200 error without errorType"
        if isinstance(body, dict) and "allocated" in body:
            return "200 ok (memory not enforced)"
        return "200 ok" if isinstance(body, dict) and "echo" in body else "MALFORMED 200 body"
    if resp.status_code == 202:
        return "202 accepted"
    kind = resp.headers.get("x-amzn-ErrorType", "")
    if isinstance(body, dict) and ("message" in body or "errorMessage" in body) and kind:
        return f"{resp.status_code} {kind.split(':')[0]}"
    return f"MALFORMED {resp.status_code} service error"


class Callers:
    """``count`` threads calling the emulator until :meth:`stop`."""

    def __init__(
        self, ledger: Ledger, base: Callable[[], str], down: threading.Event, record: str
    ) -> None:
        self._ledger = ledger
        self._base = base
        self._down = down
        self._record = record
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.event_ids: dict[str, str] = {}  # event id -> request id

    def start(self, count: int) -> None:
        for n in range(count):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(90)

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        while not self._stop.is_set():
            roll = rng.random()
            kind = "sync" if roll < 0.7 else "event" if roll < 0.82 else "stream"
            if roll > 0.97:
                self._drop(rng)
                continue
            try:
                self._call(session, kind, rng)
            except requests.ConnectionError:
                outcome = (
                    "refused (emulator restarting)"
                    if self._down.is_set()
                    else ("MALFORMED connection failed")
                )
                self._ledger.add(kind, outcome)
                session = requests.Session()
                self._stop.wait(0.2)
            except requests.Timeout:
                self._ledger.add(kind, "MALFORMED no answer in 60 s")
        session.close()

    def _call(self, session: requests.Session, kind: str, rng: random.Random) -> None:
        base = self._base()
        if self._ledger.entries and self._ledger.entries[-1].outcome.startswith("429"):
            self._stop.wait(0.1)  # a throttled caller backs off, as the SDKs do
        if kind == "event":
            event_id = uuid.uuid4().hex
            payload = {"action": "record", "id": event_id, "path": self._record, "seconds": 0.1}
            resp = session.post(
                base + INVOKE,
                json=payload,
                headers={"X-Amz-Invocation-Type": "Event"},
                timeout=60,
            )
            outcome = classify(resp)
            if resp.status_code == 202:
                self._ledger.accept_event(event_id)
                self.event_ids[event_id] = resp.headers.get("x-amzn-RequestId", "")
            self._ledger.add(kind, outcome)
        elif kind == "stream":
            resp = session.post(base + STREAM, json={"n": 1}, timeout=60)
            if resp.status_code == 200:
                complete = b"InvokeComplete" in resp.content
                self._ledger.add(kind, "200 streamed" if complete else "MALFORMED stream")
            else:
                self._ledger.add(kind, classify(resp))
        else:
            resp = session.post(base + INVOKE, json=_sync_payload(rng), timeout=60)
            self._ledger.add(kind, classify(resp))

    def _drop(self, rng: random.Random) -> None:
        """Send an invoke and hang up before the answer (a caller gone mid-response)."""
        host, port = self._base().removeprefix("http://").split(":")
        body = json.dumps({"action": "sleep", "seconds": rng.choice([0, 0.3])}).encode()
        head = f"POST {INVOKE} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        try:
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(head.encode() + body)
                sock.recv(rng.choice([0, 1, 20]) or 1)  # read nothing or a few bytes
        except OSError:
            pass
        self._ledger.fault("caller disconnected mid-response")
