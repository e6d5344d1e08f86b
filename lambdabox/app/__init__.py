"""Applications: a template's functions running together, with their triggers.

Holds what `lambdabox up` runs: function specs read from a resolved template (`spec`,
`asynchronous`, `envvars`, `selection`), how each runs (`launch`: process mode; `images`:
container mode, built with the builder through `building`), one emulator per function
(`functions`), the `FunctionInvoker` over them (`invoker`), the Invoke API for all of them
(`router`), the destination sink of asynchronous records (`destinations`), the trigger
packages and the local AWS endpoint (`sources`), the whole run (`application`, `config`),
hot reload (`reload`), the start-up listing (`listing`), the template made from flags
(`synth`) and the `lambdabox up` command (`up_cli`, `serve`).

May import: `lambdabox.template`, `lambdabox.triggers` (their ports; the trigger packages
only by name, in `sources`), `lambdabox.emulator`, `lambdabox.services`, `builder` (only in
`building`). Imported by the CLI and the pytest harness only.
"""
