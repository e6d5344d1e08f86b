def handler(event, context):
    return {"from": __name__}
