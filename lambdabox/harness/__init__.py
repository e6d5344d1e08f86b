"""Test harness: functions under the emulator, from pytest or plain Python.

    with LambdaFunction.from_handler("app.handler", root="src") as fn:
        result = fn.invoke({"name": "x"})
        assert result.payload == {...}

The pytest plugin (`lambdabox.harness.plugin`, registered as `lambdabox`) provides the
`lambda_function` and `lambda_image` fixtures on top of this.
"""

from lambdabox.harness.function import LambdaFunction
from lambdabox.harness.result import InvocationResult
from lambdabox.harness.runner import BackgroundEmulator

__all__ = ["BackgroundEmulator", "InvocationResult", "LambdaFunction"]
