"""Lab 04 exercise 1: writes the event's files into a folder, builds the learner's layer zip twice (touching
the files in between) and reports the zip and whether both builds gave the same bytes."""

import base64
import os
import tempfile
from pathlib import Path

import lambdalab_answer

_answer = lambdalab_answer.load_module()


def handler(event, context):
    root = Path(tempfile.mkdtemp(prefix="layer-src-"))
    for relative, content in event["files"].items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(content))
    first = _answer.build_layer(str(root))
    for path in root.rglob("*"):  # the same files, touched: modification times change, contents do not
        os.utime(path, (event["touched_at"], event["touched_at"]))
    second = _answer.build_layer(root)
    return {"first": base64.b64encode(bytes(first)).decode(), "same": bytes(first) == bytes(second)}
