"""One TCP socket looked up by its addresses through the kernel's sock_diag netlink.

An exact lookup (no dump): the kernel finds the socket in its hash tables and answers
with its inode, in microseconds, where reading /proc/net/tcp walks every bucket of those
tables (milliseconds on a large host). Needs no privilege; None when the kernel has no
inet_diag (then the caller reads /proc/net/tcp).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import struct

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLMSG_ERROR = 2
NLM_F_REQUEST = 1
_NO_COOKIE = 0xFFFFFFFF
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: len, type, flags, seq, pid
_REQUEST = struct.Struct("=BBBxI")  # inet_diag_req_v2: family, protocol, ext, states
_SOCKID = struct.Struct("!HH16s16s")  # sport, dport (network order), src, dst
_TAIL = struct.Struct("=III")  # interface, cookie[2]
_INODE_AT = _HEADER.size + 4 + 48 + 16  # inet_diag_msg: ..., sockid, expires, rq, wq, uid, inode


class NotFound(LookupError):
    """The kernel has no such socket."""


def _packed(ip: str, family: int) -> bytes | None:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if family == socket.AF_INET:
        if isinstance(addr, ipaddress.IPv6Address):
            if addr.ipv4_mapped is None:
                return None
            addr = addr.ipv4_mapped
        return addr.packed.ljust(16, b"\0")
    if isinstance(addr, ipaddress.IPv4Address):
        addr = ipaddress.IPv6Address(f"::ffff:{addr}")
    return addr.packed


def _ask(family: int, src: tuple[str, int], dst: tuple[str, int]) -> int:
    """The inode of the TCP socket src -> dst of `family`; NotFound, or OSError."""
    source, target = _packed(src[0], family), _packed(dst[0], family)
    if source is None or target is None:
        raise NotFound
    body = (
        _REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0xFFFFFFFF)
        + _SOCKID.pack(src[1], dst[1], source, target)
        + _TAIL.pack(0, _NO_COOKIE, _NO_COOKIE)
    )
    header = _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as nl:
        nl.settimeout(1.0)
        nl.sendto(header + body, (0, 0))
        answer = nl.recv(8192)
    _, kind, _, _, _ = _HEADER.unpack_from(answer)
    if kind == NLMSG_ERROR:
        (code,) = struct.unpack_from("=i", answer, _HEADER.size)
        if -code == errno.ENOENT:
            raise NotFound
        raise OSError(-code, os.strerror(-code))
    if kind != SOCK_DIAG_BY_FAMILY or len(answer) < _INODE_AT + 4:
        raise OSError(errno.EPROTO, "unexpected sock_diag answer")
    (inode,) = struct.unpack_from("=I", answer, _INODE_AT)
    return int(inode)


def socket_inode(src: tuple[str, int], dst: tuple[str, int]) -> int | None:
    """The inode of the TCP socket whose local address is `src` and remote `dst`.

    Raises NotFound when there is none; returns None when sock_diag is unavailable.
    """
    found_family = False
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            inode = _ask(family, src, dst)
        except NotFound:
            found_family = True
            continue
        except OSError:
            continue
        if inode:
            return inode
        found_family = True
    if found_family:
        raise NotFound
    return None
