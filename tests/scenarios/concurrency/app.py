import os
import time

BARRIER = os.environ["BARRIER_DIR"]


def handler(event, context):
    # Proves concurrency without timing: every worker waits until all have arrived.
    open(os.path.join(BARRIER, str(os.getpid())), "w").close()
    deadline = time.monotonic() + 20
    while len(os.listdir(BARRIER)) < event["expected"]:
        if time.monotonic() > deadline:
            raise TimeoutError("workers did not run concurrently")
        time.sleep(0.01)
    return {"pid": os.getpid(), "ppid": os.getppid()}
