"""The floor of any Python emulator: a stdlib-only relay, no asyncio, happy path only.

`python bench/relay_floor.py PORT API_PORT -- COMMAND...` binds the Invoke API on
127.0.0.1:PORT and the Runtime API on 127.0.0.1:API_PORT, and, like aws-lambda-rie (lazy
init), starts COMMAND when the first invoke arrives. Then, for each invoke on a caller's
keep-alive connection (one caller at a time), it hands the event to the runtime's
waiting `GET /next`, takes its `/response` and answers the caller, with blocking sockets
and nothing else: no logs, no limits, no timeouts, no errors. It is a measuring stick
for the bench, not an emulator. Its first answer costs what the interpreter, the socket
module and the runtime's own start-up cost; its warm invokes what two loopback round
trips and the runtime's client cost. `lambdabox emulate` (in Python) can beat neither,
so the bench prints both next to aws-lambda-rie.
"""

import os
import signal
import socket
import sys

_FUNCTION_ARN = b"arn:aws:lambda:us-east-1:012345678912:function:function"


def content_length(head: bytes) -> int:
    """A request or response head's Content-Length (0 when it has none)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


class _Peer:
    """One connection's requests: (head, body), each with a Content-Length body or none."""

    def __init__(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = conn
        self._buf = b""

    def request(self) -> tuple[bytes, bytes]:
        data = self._buf
        while b"\r\n\r\n" not in data:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise ConnectionError("peer closed")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = content_length(head)
        while len(rest) < length:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise ConnectionError("peer closed")
            rest += chunk
        self._buf = rest[length:]
        return head, rest[:length]


def _listen(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    return sock


def _relay(caller: _Peer, runtime: _Peer, event: bytes, number: int) -> None:
    """One invoke: `event` to the runtime's waiting /next, its /response to the caller."""
    runtime.request()  # GET /next
    rid = b"8476a536-e9f4-11e8-9739-%012d" % number
    runtime.conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: "
        + rid
        + b"\r\nLambda-Runtime-Deadline-Ms: 9999999999999\r\nLambda-Runtime-Invoked-Function-Arn: "
        + _FUNCTION_ARN
        + b"\r\nContent-Length: %d\r\n\r\n" % len(event)
        + event
    )
    _head, answer = runtime.request()  # POST /response
    runtime.conn.sendall(b'HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{"status":"OK"}')
    caller.conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % len(answer)
        + answer
    )


def _stop(children: list[int]) -> None:
    """SIGTERM: kill the runtime and end at once, whatever call is under way."""
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os._exit(0)


def main() -> int:
    children: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: _stop(children))
    port, api_port = int(sys.argv[1]), int(sys.argv[2])
    command = sys.argv[sys.argv.index("--") + 1 :]
    invoke, api = _listen(port), _listen(api_port)
    caller = _Peer(invoke.accept()[0])
    _head, event = caller.request()
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api_port}")
    children.append(os.posix_spawnp(command[0], command, env))
    try:
        runtime = _Peer(api.accept()[0])
        number = 0
        while True:  # each caller connection in turn, until SIGTERM
            number += 1
            _relay(caller, runtime, event, number)
            try:
                _head, event = caller.request()
            except ConnectionError:  # this caller hung up: wait for the next
                caller.conn.close()
                caller = _Peer(invoke.accept()[0])
                _head, event = caller.request()
    finally:
        _stop(children)


if __name__ == "__main__":
    sys.exit(main())
