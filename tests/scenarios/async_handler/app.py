import asyncio

STATE = {"loops": set(), "n": 0}


async def handler(event, context):
    await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    STATE["loops"].add(id(loop))
    STATE["n"] += 1
    return {"n": STATE["n"], "loops": len(STATE["loops"]), "request": context.aws_request_id}


async def fails(event, context):
    await asyncio.sleep(0)
    raise LookupError("async failure")


async def agen(event, context):
    for i in range(3):
        await asyncio.sleep(0.01)
        yield f"part{i};"
