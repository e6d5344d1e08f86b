"""An application running: its functions, the Invoke API for all of them, its triggers.

    app = Application(config)
    await app.start()        # moto if needed, template, functions, Invoke API, triggers
    ...                      # app.invoker, app.listing(), app.logs("Fn")
    await app.reload(...)    # hot reload (called by the watcher)
    await app.close()        # everything stopped and removed

Start order: a local AWS endpoint (moto) when the template declares queues, streams or
tables and none was given, BEFORE the template is resolved (so queue URLs point at it);
the template; the function specs (`--env-vars`, `--function`); one emulator per function;
the Invoke API on `port`; the source packages' `provision`; the trigger factories.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from lambdabox.app.config import AppConfig
from lambdabox.app.destinations import AppDestinations
from lambdabox.app.envvars import apply_env_vars, read_env_vars
from lambdabox.app.errors import AppError
from lambdabox.app.functions import FunctionLogs, FunctionSet
from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.app.launch import LaunchSettings
from lambdabox.app.router import InvokeRouter
from lambdabox.app.selection import choose_mode, select
from lambdabox.app.sources import needs_endpoint, provision, start_moto, start_triggers
from lambdabox.app.spec import FunctionSpec, function_specs
from lambdabox.services.moto_server import MotoServer
from lambdabox.template import Endpoints, Stack, Template, load_template
from lambdabox.template.loader import read_template
from lambdabox.triggers.ports import AppSettings, Trigger


class Application:
    """One run of a template: start, reload, close."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.logs = FunctionLogs(config.echo_logs)
        self.run_id = uuid.uuid4().hex[:8]
        self._scratch = Path(tempfile.mkdtemp(prefix="lambdabox-up-"))
        self.template: Template | None = None
        self.specs: list[FunctionSpec] = []
        self.mode = config.mode or "process"
        self.endpoint: str | None = config.sqs_endpoint
        self._moto: MotoServer | None = None
        self.functions: FunctionSet | None = None
        self.invoker = EmulatorInvoker({})
        self.router: InvokeRouter | None = None
        self.triggers: list[Trigger] = []
        self.settings: AppSettings | None = None
        self.warnings: list[str] = []
        self.destinations = AppDestinations(self.invoker, None, config.say)

    # -- start -------------------------------------------------------------------
    def _raw(self) -> dict[str, object]:
        if self.config.document is not None:
            return dict(self.config.document)
        return read_template(self.config.template)

    def _start_endpoint(self) -> None:
        if self.endpoint is None and needs_endpoint(self._raw(), self.config.template.parent):
            self._moto = start_moto(self.config.host)
            self.endpoint = self._moto.endpoint
            self.config.say(f"local AWS endpoint (moto: SQS, Kinesis, DynamoDB): {self.endpoint}")

    def _resolve(self, urls: dict[str, str] | None = None) -> Template:
        c = self.config
        base = f"http://{c.host}:{c.http_port}"
        endpoints = Endpoints(
            sqs=self.endpoint,
            http_base=base,
            function_url=(lambda path: urls.get(path, f"{base}/")) if urls else None,
        )
        return load_template(
            c.template,
            document=c.document,
            overrides=c.overrides,
            stack=Stack(c.region, c.account_id, c.stack_name, c.import_values),
            endpoints=endpoints,
        )

    def _with_url_outputs(self, template: Template) -> Template:
        """The template's Outputs resolved again once the function URLs have their ports
        (the HTTP front binds them at start; until then `!GetAtt FnUrl.FunctionUrl` can
        only say the HTTP port)."""
        urls = {
            line.function: str(line.detail["url"])
            for trigger in self.triggers
            for line in trigger.describe()
            if line.kind == "url" and "url" in line.detail
        }
        if not urls or not template.outputs:
            return template
        return dataclasses.replace(template, outputs=self._resolve(urls).outputs)

    def load(self) -> tuple[Template, list[FunctionSpec], list[str]]:
        """The template resolved and its function specs (env vars and subset applied)."""
        c = self.config
        template = self._resolve()
        specs, notes = function_specs(template)
        if c.env_vars is not None:
            specs, more = apply_env_vars(specs, read_env_vars(c.env_vars))
            notes += more
        chosen = select(specs, c.functions)
        if len(chosen) < len(specs):  # triggers see only the functions that run
            left_out = {s.path for s in specs} - {s.path for s in chosen}
            kept = {k: r for k, r in template.resources.items() if k not in left_out}
            template = dataclasses.replace(template, resources=kept)
        return template, chosen, [*template.warnings, *notes]

    def _settings(self) -> AppSettings:
        c = self.config
        extra = {
            "aws_endpoint": self.endpoint,
            "invoke_url": self.router.url if self.router else "",
            "destinations": self.destinations,  # the DestinationSink of async invocations
        }
        return AppSettings(
            host=c.host,
            http_port=c.http_port,
            region=c.region,
            account_id=c.account_id,
            retry_delay_scale=c.retry_delay_scale,
            sqs_endpoint=self.endpoint,
            rabbitmq_url=c.rabbitmq_url,
            state_dir=c.state_dir,
            clock=c.clock,
            notes=c.say,
            extra=extra,
        )

    async def start(self) -> None:
        """Start everything; on failure, what was started is stopped again."""
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise

    async def _start(self) -> None:
        c = self.config
        self._start_endpoint()
        self.destinations = AppDestinations(
            self.invoker, self.endpoint, c.say, lambda: self.settings
        )
        self.template, self.specs, self.warnings = self.load()
        for line in self.warnings:
            c.say(f"warning: {line}")
        if not self.specs:
            raise AppError(f"{c.template}: the template has no function to run")
        self.mode = choose_mode(self.specs, c.mode)
        here = f"python{sys.version_info.major}.{sys.version_info.minor}"
        if self.mode == "process":
            for runtime in sorted({s.runtime for s in self.specs if s.runtime != here}):
                c.say(
                    f"note: {runtime} functions run on this {here} in process mode "
                    "(--mode container runs them on their own runtime)"
                )
        launch = LaunchSettings(
            self.mode,
            c.region,
            c.account_id,
            c.max_environments,
            c.log_level,
            self.run_id,
            retry_delay_scale=c.retry_delay_scale,
            state_dir=c.state_dir,
            destinations=self.destinations,
        )
        self.functions = FunctionSet(launch, self._scratch, self.logs, c.say)
        await self.functions.start(self.specs)
        self.invoker.replace(self.functions.emulators)
        self.router = InvokeRouter(self.invoker, c.host, c.port, c.region, c.account_id)
        try:
            await self.router.start()
        except OSError as exc:
            raise AppError(f"--port {c.port}: cannot listen ({exc}); pick a free port") from None
        self.settings = self._settings()
        if self.endpoint is not None:
            await provision(self.template, self.endpoint, self.settings, c.debug)
        self.triggers = await start_triggers(self.template, self.invoker, self.settings, c.debug)
        self.template = self._with_url_outputs(self.template)

    # -- reload ------------------------------------------------------------------
    async def reload(self, changed: set[str]) -> list[str]:
        """Pick up edits: `changed` holds "template" and/or function paths whose code changed.

        A template edit reloads everything but the endpoint (functions whose spec is the
        same and whose code did not change keep their warm environments); a code edit
        restarts that function's environments (container mode: rebuilt first, with the
        builder's cache). Returns the function paths restarted.
        """
        assert self.functions is not None
        assert self.template is not None
        specs = self.specs
        template = self.template
        if "template" in changed:
            template, specs, self.warnings = self.load()
        old = {s.path: s for s in self.specs}
        restart = [s for s in specs if s.path in changed or old.get(s.path) != s]
        gone = [p for p in old if p not in {s.path for s in specs}]
        fresh = FunctionSet(self.functions.settings, self._scratch, self.logs, self.config.say)
        await fresh.start(restart)
        emulators = dict(self.functions.emulators)
        retired = [emulators.pop(p) for p in [*gone, *fresh.emulators] if p in emulators]
        emulators.update(fresh.emulators)
        self.functions.emulators = emulators
        self.invoker.replace(emulators)
        self.specs = specs
        if "template" in changed:
            self.template = template
            await self._close_triggers()
            assert self.settings is not None
            self.triggers = await start_triggers(
                template, self.invoker, self.settings, self.config.debug
            )
            self.template = self._with_url_outputs(template)
        old_set = FunctionSet(self.functions.settings, self._scratch, self.logs, self.config.say)
        old_set.emulators = {str(i): e for i, e in enumerate(retired)}
        await old_set.close()
        return [s.path for s in restart]

    # -- close -------------------------------------------------------------------
    async def _close_triggers(self) -> None:
        triggers, self.triggers = self.triggers, []
        for trigger in reversed(triggers):
            try:
                await trigger.close()
            except Exception as exc:
                self.config.say(f"warning: closing a trigger failed: {exc}")

    async def close(self) -> None:
        """Stop triggers, the Invoke API, every environment and container, and moto."""
        await self._close_triggers()
        if self.router is not None:
            await self.router.close()
            self.router = None
        if self.functions is not None:
            await self.functions.close()
        moto, self._moto = self._moto, None
        if moto is not None:
            moto.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)
