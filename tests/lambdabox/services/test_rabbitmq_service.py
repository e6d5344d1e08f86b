"""The RabbitMQ broker process: starts on loopback ports of its own, answers AMQP, and
leaves nothing running once stopped."""

from __future__ import annotations

import asyncio
import subprocess

import aiormq
import pytest
from pamqp.commands import Basic

from lambdabox.services.rabbitmq import RabbitMQServer, _amqp_answers

pytestmark = pytest.mark.slow


def _session_pids(sids: tuple[int, ...]) -> set[int]:
    ps = ["ps", "-e", "-o", "pid=,sid="]
    out = subprocess.run(ps, capture_output=True, text=True, check=True).stdout
    rows = (line.split() for line in out.splitlines())
    return {int(pid) for pid, sid in rows if int(sid) in sids}


def _listening(pids: set[int]) -> list[str]:
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    return [line.split()[3] for line in out.splitlines() if any(f"pid={p}," in line for p in pids)]


def test_broker_runs_on_loopback_and_leaves_nothing_behind() -> None:
    rmq = RabbitMQServer().start()
    try:
        sids = rmq.session_ids()
        pids = _session_pids(sids)
        ports = {addr.rsplit(":", 1)[1] for addr in _listening(pids)}
        # AMQP, Erlang distribution and epmd: our own ports, all on loopback.
        assert {str(rmq.port), str(rmq.dist_port), str(rmq.epmd_port)} <= ports
        assert all(a.startswith(("127.0.0.1:", "[::1]:")) for a in _listening(pids))

        async def round_trip() -> bytes:
            conn = await aiormq.connect(rmq.url)
            try:
                ch = await conn.channel()
                q = await ch.queue_declare("", exclusive=True)
                assert q.queue is not None
                await ch.basic_publish(b"hi", routing_key=q.queue, properties=Basic.Properties())
                msg = await ch.basic_get(q.queue, no_ack=True)
                return msg.body
            finally:
                await conn.close()

        assert asyncio.run(round_trip()) == b"hi"
        data = rmq._dir
    finally:
        rmq.stop()
    assert not _amqp_answers("127.0.0.1", rmq.port)
    assert _session_pids(sids) == set()
    assert data is not None
    assert not data.exists()
