"""The soak's function: echo, sleep, crash, exhaust memory, or record an Event run."""

import os
import time


def handler(event, context):
    action = event.get("action")
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "oom":
        block = bytearray(event["mib"] << 20)
        return {"allocated": len(block)}
    elif action == "record":
        time.sleep(event.get("seconds", 0))
        line = f"{event['id']} {context.aws_request_id}\n"
        if event.get("path"):  # process mode: a file the soak reads
            fd = os.open(event["path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, line.encode())
            os.close(fd)
        else:  # a container cannot write the host's files: its log carries the record
            print(f"SOAK-RAN {line}", end="", flush=True)
    return {"echo": event}
