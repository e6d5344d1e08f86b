"""The floor of any Python emulator's cold start: a stdlib-only first answer, no asyncio.

`python bench/first_answer_floor.py PORT API_PORT -- COMMAND...` binds the Invoke API on
127.0.0.1:PORT and the Runtime API on 127.0.0.1:API_PORT, and, like aws-lambda-rie (lazy
init), starts COMMAND when the first invoke arrives, hands the event to the runtime's
first `GET /next`, takes its `/response` and answers the caller. It does nothing else
(happy path only, no logs, no limits, no errors): it is a measuring stick for the bench,
not an emulator. What it costs is what the interpreter, the socket module and the
runtime's own start-up cost; `lambdabox emulate` cannot answer its first invoke sooner
however it is built (in Python), so the bench prints it next to aws-lambda-rie.
"""

import os
import signal
import socket
import sys


def _read_request(conn: socket.socket) -> tuple[bytes, bytes]:
    """(head, body) of one request with a Content-Length body (or none)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return head, body


def _listen(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    return sock


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so the runtime is stopped too
    port, api_port = int(sys.argv[1]), int(sys.argv[2])
    command = sys.argv[sys.argv.index("--") + 1 :]
    invoke, api = _listen(port), _listen(api_port)
    caller, _ = invoke.accept()
    _head, event = _read_request(caller)
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api_port}")
    pid = os.posix_spawnp(command[0], command, env)
    runtime, _ = api.accept()
    _read_request(runtime)  # GET /next
    rid = b"8476a536-e9f4-11e8-9739-2dfe598c3fcd"
    runtime.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: "
        + rid
        + b"\r\nLambda-Runtime-Deadline-Ms: 9999999999999\r\nLambda-Runtime-Invoked-Function-Arn:"
        b" arn:aws:lambda:us-east-1:012345678912:function:function\r\n"
        b"Content-Length: " + str(len(event)).encode() + b"\r\n\r\n" + event
    )
    _head, answer = _read_request(runtime)  # POST /response
    runtime.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n" + b'{"status":"OK"}')
    caller.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(answer)).encode()
        + b"\r\n\r\n"
        + answer
    )
    try:
        caller.recv(1)  # until the caller hangs up
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
