"""The environment a runtime starts with, from the emulator's settings."""

from __future__ import annotations

from lambdabox.emulator.config import EmulatorConfig


def runtime_environment(config: EmulatorConfig, base: dict[str, str]) -> dict[str, str]:
    """The runtime's environment: ours forwarded (as RIE does) plus the service's variables."""
    fn = config.function
    env = dict(base)
    env.update(config.runtime_env)
    env.setdefault("AWS_LAMBDA_FUNCTION_NAME", fn.name)
    env.setdefault("AWS_LAMBDA_FUNCTION_VERSION", fn.version)
    env.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(fn.memory_mb))
    env.setdefault("AWS_LAMBDA_LOG_GROUP_NAME", fn.log_group_name)
    if fn.log_stream:  # else each environment names its own (environment.lifecycle)
        env.setdefault("AWS_LAMBDA_LOG_STREAM_NAME", fn.log_stream)
    env.setdefault("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    env.setdefault("AWS_REGION", fn.region)
    env.setdefault("AWS_DEFAULT_REGION", fn.region)
    if config.handler:
        env["_HANDLER"] = config.handler
    return env
