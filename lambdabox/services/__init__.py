"""Local stand-ins for the AWS services an application talks to, run as their own processes.

Each service is started on 127.0.0.1 when an application needs it and no endpoint was
given, and stopped afterwards. Being separate processes, they outlive a crash of lambdabox
itself, so messages in a local queue are not lost with it.

May import: the standard library. Imported by `lambdabox.triggers` and `lambdabox.app`.
"""
