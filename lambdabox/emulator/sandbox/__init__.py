"""What keeps one execution environment to itself on a shared host, beyond the container.

`peers` tells which process holds the other end of a local TCP connection (from /proc);
`guard` uses it so that only an environment's own processes may use its Runtime API;
`memcage` enforces a process-mode runtime's memory size with a cgroup (or an rlimit).
These modules import only the standard library and `lambdabox.emulator.cgroup`; the
emulator's environments import them, never the other way round.
"""
