def handler(event, context):
    return {"fn": context.function_name, "arn": context.invoked_function_arn}
