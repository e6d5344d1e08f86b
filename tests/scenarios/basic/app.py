import os

COUNT = {"n": 0}


def handler(event, context):
    COUNT["n"] += 1
    if isinstance(event, dict) and event.get("size"):
        return "x" * event["size"]
    return {"event": event, "count": COUNT["n"], "pid": os.getpid()}


def length(event, context):
    return {"length": len(event["data"])}


def trace(event, context):
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID")}


def page_faults(event, context):
    """Minor page faults while allocating and freeing 1 MB buffers (allocator tuning probe)."""
    import resource

    from runtime_interface import _memory

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):  # as an invocation does: body, text, result JSON, its bytes
        buffers = [bytearray(1_000_000) for _ in range(4)]
        for buffer in buffers:
            buffer[::4096] = b"x" * len(range(0, 1_000_000, 4096))
        del buffers, buffer
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    return {"tuned": _memory.tuned, "faults": faults}
