import os
import time


def handler(event, context):
    action = event.get("action") if isinstance(event, dict) else None
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "crash":
        print("about to crash", flush=True)
        os._exit(event.get("code", 3))
    elif action == "fail":
        raise ValueError("function failed")
    elif action == "big":
        return "x" * event["size"]
    elif action == "touch":
        with open(event["path"], "a") as f:
            f.write(context.aws_request_id + "\n")
    elif action == "context":
        cc = context.client_context
        return {
            "custom": cc.custom if cc else None,
            "arn": context.invoked_function_arn,
            "trace": os.environ.get("_X_AMZN_TRACE_ID"),
            "remaining": context.get_remaining_time_in_millis(),
            "tenant": context.tenant_id,
        }
    print("handled", event)
    return {"echo": event, "pid": os.getpid()}
