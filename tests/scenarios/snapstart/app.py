import os

from runtime_interface.snapstart import register_after_restore, register_before_snapshot

ORDER_FILE = os.environ["ORDER_FILE"]


def _note(what):
    with open(ORDER_FILE, "a") as f:
        f.write(what + "\n")


register_before_snapshot(_note, "before-1")
register_before_snapshot(_note, "before-2")


@register_after_restore
def _restored():
    _note("after-1")


register_after_restore(_note, "after-2")


def handler(event, context):
    with open(ORDER_FILE) as f:
        return f.read().split()
