import os

from runtime_interface.snapstart import register_after_restore, register_before_snapshot

if os.environ.get("FAIL") == "before":

    @register_before_snapshot
    def _boom():
        raise OSError("cannot snapshot")

else:

    @register_after_restore
    def _boom():
        raise ConnectionError("cannot reconnect")


def handler(event, context):
    return 1
