"""Who holds the other end of a local TCP connection, read from /proc.

A connection accepted on 127.0.0.1 has two sockets on this host: ours, and the peer's,
whose local address is the peer's and remote address ours. The kernel gives that socket's
inode (`sockdiag`, else a line of /proc/net/tcp or tcp6); a process holds the socket when
one of its descriptors links to ``socket:[inode]``. Only the processes one asks about are
searched, so the cost is a read of /proc/net/tcp and a few directory listings.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
from collections.abc import Iterable

from lambdabox.emulator.sandbox import sockdiag

_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


class PeerUnknown(Exception):
    """The peer could not be identified (its socket is gone, or /proc cannot be read)."""


def _hex(ip: str, port: int) -> list[str]:
    """The address as /proc/net/tcp{,6} prints it: 32-bit words in host byte order."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    forms: list[bytes] = []
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        forms = [addr.ipv4_mapped.packed, addr.packed]
    elif isinstance(addr, ipaddress.IPv4Address):
        forms = [addr.packed, ipaddress.IPv6Address(f"::ffff:{addr}").packed]
    else:
        forms = [addr.packed]
    out = []
    for packed in forms:
        words = (packed[i : i + 4] for i in range(0, len(packed), 4))
        text = "".join(f"{int.from_bytes(w, sys.byteorder):08X}" for w in words)
        out.append(f"{text}:{port:04X}")
    return out


def peer_socket_inode(peer: tuple[str, int], local: tuple[str, int]) -> int:
    """The inode of the peer's socket of the connection `peer` -> `local` (ours).

    `local` may be the listening address: an unspecified host (0.0.0.0, ::) matches any.
    Raises PeerUnknown when no such socket is listed (the peer has gone) or the tables
    cannot be read.
    """
    gone = PeerUnknown(f"no socket from {peer[0]}:{peer[1]} to {local[0]}:{local[1]}")
    any_host = ipaddress.ip_address(local[0].split("%", 1)[0]).is_unspecified
    if not any_host:  # the kernel looks it up directly: microseconds, not a table walk
        try:
            inode = sockdiag.socket_inode(peer, local)
        except sockdiag.NotFound:
            raise gone from None
        if inode is not None:
            return inode
    ours = set(_hex(*local))
    port = f":{local[1]:04X}"
    for table in _TABLES:
        try:
            with open(table, encoding="ascii") as f:
                text = f.read()
        except OSError:
            continue
        for mine in _hex(*peer):
            needle = f" {mine} "
            at = text.find(needle)
            while at >= 0:
                # local rem st tx:rx tr:when retrnsmt uid timeout inode
                fields = text[at : text.find("\n", at)].split()
                remote = fields[1] if len(fields) > 8 else ""
                to_us = remote in ours or (any_host and remote.endswith(port))
                if to_us and fields[8].isdigit() and int(fields[8]):
                    return int(fields[8])
                at = text.find(needle, at + 1)
    raise gone


def holder(pids: Iterable[int], inode: int) -> int | None:
    """The first of `pids` with a descriptor on socket `inode`, or None.

    Raises PermissionError when no candidate's descriptors could be read at all.
    """
    target = f"socket:[{inode}]"
    denied = readable = 0
    for pid in pids:
        base = f"/proc/{pid}/fd"
        try:
            names = os.listdir(base)
        except PermissionError:
            denied += 1
            continue
        except OSError:  # gone meanwhile
            continue
        readable += 1
        for name in names:
            with contextlib.suppress(OSError):
                if os.readlink(f"{base}/{name}") == target:
                    return pid
    if denied and not readable:
        raise PermissionError("cannot read the descriptors of the environment's processes")
    return None


def namespace_members(pid: int) -> list[int]:
    """Every process in `pid`'s PID namespace (a scan of /proc); [] when it is gone."""
    try:
        ns = os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return []
    found: list[int] = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{name}/ns/pid") == ns:
                    found.append(int(name))
    return found


def session_members(sessions: set[int]) -> list[int]:
    """Every process whose session id is one of `sessions` (a scan of /proc)."""
    found: list[int] = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses.
        rest = stat[stat.rfind(b")") + 2 :].split()
        if len(rest) > 3 and int(rest[3]) in sessions:
            found.append(int(name))
    return found
