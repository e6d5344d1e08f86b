"""Implementation of :mod:`lambdabox.testing.runtime_api_server`; import from there.

Modules, from the wire up:

* :mod:`.protocol`: endpoint paths, limits, header names, prebuilt responses;
* :mod:`.records`: immutable records of requests, error posts and outcomes;
* :mod:`.invocation`: one invocation's state, its construction, the test's handle;
* :mod:`.validation`: checks of posted error details (violations, not rejections);
* :mod:`.core`: the protocol state machine shared by all connections;
* :mod:`.routing`: which endpoint a request is and what answers it;
* :mod:`.transport`: the threading HTTP server and per-connection handler;
* :mod:`.server`: the public facade, :class:`RuntimeAPIServer`.
"""
