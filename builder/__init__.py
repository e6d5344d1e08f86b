"""The daemonless OCI image builder (in progress: see issue 4)."""
