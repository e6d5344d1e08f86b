"""A bounded soak of ``lambdabox emulate`` with faults injected, and its ledger.

Mixed traffic (sync, ``Event`` and streamed invokes) from concurrent callers runs
against a real emulator process while a fault injector kills and stops runtimes,
makes handlers exhaust memory, drops callers mid-response, holds hundreds of idle
connections open and restarts the emulator on its ``--state-dir``.  Every request
is entered in a :class:`~soak.ledger.Ledger`, checked at the end.  Run it with
``python -m soak`` (``make soak``).  May import the standard library, ``requests``
and ``lambdabox``'s public CLI only (it drives the emulator as a subprocess).
"""
