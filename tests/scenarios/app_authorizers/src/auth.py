"""Lambda authorizers for the authorizer scenario: the token decides, the context reports
what the authorizer saw and how many times this environment ran (caching shows)."""

CALLS = [0]


def _token(event):
    if event.get("type") == "TOKEN" or event.get("version") == "1.0":
        return event.get("authorizationToken") or (event.get("headers") or {}).get("X-Token")
    sources = event.get("identitySource")
    if isinstance(sources, list):
        return sources[0] if sources else None
    return (event.get("headers") or {}).get("X-Token")


def _context(event, token):
    return {
        "user": token or "",
        "calls": CALLS[0],
        "type": event["type"],
        "arn": event.get("methodArn") or event.get("routeArn"),
        "identity": str(event.get("identitySource")),
        "keys": ",".join(sorted(event)),
    }


def simple(event, context):
    """HTTP API, payload 2.0, simple responses."""
    CALLS[0] += 1
    token = _token(event)
    if token == "error":
        raise RuntimeError("the authorizer failed")
    return {"isAuthorized": token.startswith("allow"), "context": _context(event, token)}


def policy(event, context):
    """IAM policy responses (REST TOKEN/REQUEST, HTTP API 1.0)."""
    CALLS[0] += 1
    token = _token(event) or "deny"
    arn = event.get("methodArn") or event.get("routeArn")
    api_stage = arn.split("/", 2)[:2]  # arn:...:apiid, stage
    base = "/".join(api_stage)
    if token == "error":
        raise RuntimeError("the authorizer failed")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "malformed":
        return {"principalId": "x", "policy": "none"}
    if token.startswith("allow-get"):
        effect, resource = "Allow", f"{base}/GET/*"
    elif token.startswith("allow"):
        effect, resource = "Allow", f"{base}/*"
    elif token.startswith("other"):
        effect, resource = "Allow", "arn:aws:execute-api:us-east-1:123456789012:other/*"
    else:
        effect, resource = "Deny", f"{base}/*"
    return {
        "principalId": f"user-{token}",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": {**_context(event, token), "n": 7, "ok": True},
    }
