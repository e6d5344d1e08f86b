"""A bounded soak of ``lambdabox emulate`` and ``lambdabox run`` with faults injected.

Mixed traffic (sync, ``Event`` and streamed invokes) from concurrent callers runs
against a real emulator process while a fault injector kills and stops runtimes
(process mode) or ``docker kill``s containers (container mode), makes handlers
exhaust memory, drops callers mid-response, holds hundreds of idle connections open
and restarts the emulator on its ``--state-dir``.  Every request is entered in a
:class:`~soak.ledger.Ledger`, checked at the end.  Run it with ``python -m soak``
(``make soak``).  May import the standard library, ``requests``, ``docker``,
``lambdabox``'s CLI (driven as a subprocess) and ``lambdabox.testing.images`` (the
container mode's image).
"""
