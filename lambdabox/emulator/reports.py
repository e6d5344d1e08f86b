"""What an environment says about itself: START/END/REPORT lines, function output, and the
matching Telemetry API platform events."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping

from lambdabox.emulator.invocation import Invocation, Outcome
from lambdabox.emulator.telemetry import Telemetry

_INIT = {"initializationType": "on-demand", "phase": "init"}


class Reporter:
    """Log lines and platform events of one environment."""

    def __init__(
        self, log: Callable[[str], None], telemetry: Telemetry, env: Mapping[str, str]
    ) -> None:
        self._log = log
        self._telemetry = telemetry
        self.version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
        self._function = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        # Invocations released before their END (their late lines may still come), oldest
        # first, and the printed lines that come after it and wait for it.
        self._due: list[str] = []
        self._held: list[tuple[str, tuple[str, ...]]] = []

    def _print(self, text: str, owners: Iterable[str] = ()) -> None:
        """Print in invocation order: while an invocation's END is due, only its own lines
        (`owners`: request ids) go out; the next invocation's wait until that END."""
        if self._due and self._due[0] not in owners:
            self._held.append((text, tuple(owners)))
            return
        self._log(text)

    def hold(self, inv: Invocation) -> None:
        """`inv` was released before its END and REPORT: print what follows after them."""
        self._due.append(inv.request_id)

    def output(self, line: str, owners: Iterable[Invocation]) -> None:
        """A line of the runtime's output, kept with the invocations it belongs to."""
        owners = list(owners)
        for inv in owners:
            inv.logs.append(line)
        self._print(line, [inv.request_id for inv in owners])
        self._telemetry.emit("function", line)

    def init_start(self) -> None:
        self._telemetry.emit(
            "platform.initStart",
            {
                **_INIT,
                "functionName": self._function,
                "functionVersion": self.version,
                "runtimeVersion": "lambdabox",
            },
        )

    def init_done(self, ok: bool, duration_ms: float) -> None:
        phase = {**_INIT, "status": "success" if ok else "error"}
        self._telemetry.emit("platform.initRuntimeDone", phase)
        metrics = {"durationMs": round(duration_ms, 3)}
        self._telemetry.emit("platform.initReport", {**phase, "metrics": metrics})
        self._telemetry.end_of_init()

    def start(self, inv: Invocation) -> None:
        line = f"START RequestId: {inv.request_id} Version: {self.version}"
        inv.logs.append(line)
        self._print(line, (inv.request_id,))
        tracing = {"type": "X-Amzn-Trace-Id", "value": inv.trace_id}
        self._telemetry.emit(
            "platform.start",
            {"requestId": inv.request_id, "version": self.version, "tracing": tracing},
        )

    def runtime_done(self, inv: Invocation, outcome: Outcome) -> None:
        status = "error" if outcome.function_error else "success"
        metrics = {
            "durationMs": round((time.monotonic() - inv.started_at) * 1000, 3),
            "producedBytes": len(outcome.body),
        }
        self._telemetry.emit(
            "platform.runtimeDone",
            {
                "requestId": inv.request_id,
                "status": "timeout" if inv.timed_out else status,
                "metrics": metrics,
            },
        )

    def end(self, inv: Invocation, cold_ms: float | None, used_mb: int) -> None:
        """END and REPORT (Init Duration last, as the service writes it)."""
        ended = inv.ended_at or time.monotonic()
        duration = min((ended - inv.started_at) * 1000, inv.timeout_s * 1000)
        report = (
            f"REPORT RequestId: {inv.request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {math.ceil(duration)} ms\tMemory Size: {self.memory} MB\t"
            f"Max Memory Used: {used_mb} MB\t"
        )
        metrics: dict[str, float] = {
            "durationMs": round(duration, 3),
            "billedDurationMs": math.ceil(duration),
            "memorySizeMB": int(self.memory),
            "maxMemoryUsedMB": used_mb,
        }
        if cold_ms is not None:
            report += f"Init Duration: {cold_ms:.2f} ms\t"
            metrics["initDurationMs"] = round(cold_ms, 3)
        status = "timeout" if inv.timed_out else "success"
        self._telemetry.emit(
            "platform.report", {"requestId": inv.request_id, "status": status, "metrics": metrics}
        )
        end = f"END RequestId: {inv.request_id}"
        inv.logs.append(end)
        inv.logs.append(report)
        self._print(f"{end}\n{report}", (inv.request_id,))
        if inv.request_id in self._due:
            first = self._due[0] == inv.request_id
            self._due.remove(inv.request_id)
            if first:
                held, self._held = self._held, []
                for text, owners in held:
                    self._print(text, owners)
