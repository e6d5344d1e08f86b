"""Applications: a template's functions running together, with their triggers.

Holds what `lambdabox up` runs: the functions of a resolved template as emulator pools, the
`FunctionInvoker` over them, the Invoke API for all of them, and the trigger factories it
starts. May import: `lambdabox.template`, `lambdabox.triggers`, `lambdabox.emulator`,
`lambdabox.services`, `builder`. Imported by the CLI and the pytest harness only.
"""
