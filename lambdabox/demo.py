"""`make demo`: the main job, end to end.

1. `lambdabox build` the sample function (examples/hello, one dependency) on the python3.11
   base image, which is itself built from Debian packages on first use, and load it into
   Docker;
2. run the image under the emulator in container mode (hardened, as Lambda runs it);
3. invoke it with a sample API Gateway HTTP API event, twice (a cold and a warm start);
4. print the results and the REPORT lines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hello"
IMAGE = "lambdabox-demo/hello:latest"

DESCRIPTION = (
    "Build the sample function (examples/hello) into an image on the python3.11 base, run it "
    "under the emulator in a container, invoke it with a sample HTTP API event and print "
    "the results and REPORT lines. The first run builds the base image (about half a minute)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    return main(json_output=args.json)


def _say(line: str) -> None:
    print(f"demo: {line}", file=sys.stderr, flush=True)


def build_image() -> dict[str, Any]:
    """`lambdabox build ... --load --json` as a user would run it; its summary."""
    argv = [
        sys.executable,
        "-m",
        "lambdabox",
        "build",
        str(EXAMPLE),
        "--handler",
        "app.handler",
        "--requirements",
        str(EXAMPLE / "requirements.txt"),
        "-t",
        IMAGE,
        "--load",
        "--json",
    ]
    _say(
        "$ lambdabox build examples/hello --handler app.handler "
        f"--requirements examples/hello/requirements.txt -t {IMAGE} --load"
    )
    done = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"demo: the build failed (exit {done.returncode}); see above")
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def main(json_output: bool = False) -> int:
    from lambdabox.events import sample
    from lambdabox.harness import LambdaFunction

    summary = build_image()
    event = sample("apigateway-http", {"queryStringParameters.name": "lambdabox"})
    _say(
        f"$ lambdabox run {IMAGE}   (container mode) and invoke it with "
        "`lambdabox event apigateway-http --set queryStringParameters.name=lambdabox`"
    )
    from lambdabox.progress import Status

    status = Status("demo")
    fn = LambdaFunction.from_image(IMAGE, timeout=10, memory=256, name="hello")
    with status.step("starting the container and invoking (cold, then warm)"), fn:
        results = [fn.invoke(event), fn.invoke(event)]
    if json_output:
        print(
            json.dumps(
                {
                    "image": summary,
                    "invocations": [
                        {
                            "payload": r.payload,
                            "error": r.error,
                            "report": r.logs[-1] if r.logs else None,
                        }
                        for r in results
                    ],
                },
                indent=2,
            )
        )
    else:
        layers = ", ".join(
            f"{layer.get('name', '?')} {'cached' if layer.get('cached') else 'built'}"
            for layer in summary.get("layers", [])
        )
        print(f"built {IMAGE} {summary.get('digest', '')}")
        print(f"  layers: {layers}")
        for label, r in zip(("cold", "warm"), results):
            print(f"invoke ({label}) -> {json.dumps(r.payload)}")
            print(f"  {(r.logs[-1] if r.logs else '').strip()}")
        print("function log of the first invocation:")
        for line in results[0].logs:
            print("  " + line)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main("--json" in sys.argv))
