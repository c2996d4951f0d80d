"""moto's response serializer, without recomputing where each field's value lives for every field of every reply.

moto renders a reply by walking the operation's botocore output shape; for each member it asks an
``AttributePicker`` for the value, and the picker first works out the names the value may hide under in
moto's result object: the member's own name, its model serialization name, the name less its parent
shape's or the object's class prefix, each also in ``snake_case``. Six alias providers are built and asked
for every member of every reply: for ``SendMessageBatch`` of ten messages that is 60 members, under the GIL
every thread of the sandbox shares. Remembering the names takes 1.2–1.45× off the CPU the sandbox spends
serving that request (``benchmarks/bench_moto_serialize.py``); replies with few members gain little.

The names depend only on the picker's class and providers, the object's class (and its ``Meta``), the
member's shape and the parent structure it was last seen in, and the member's name: all fixed for the life
of the process. So they are worked out once per combination, by moto's own code, and looked up after; the
values are still read from each reply's object, in moto's order. Pickers with providers of their own are
left alone. ``tests/service/test_moto_serialize.py`` checks the replies are byte for byte moto's.
"""

from __future__ import annotations

from typing import Any

from moto.core import serialize

from lambdalab.service.moto_patching import original, replace

_MISSING = object()
#: Combinations remembered; a sandbox meets a few thousand (one per member of each reply shape it renders).
MAX_ENTRIES = 50_000
_names: dict[tuple[Any, ...], tuple[str, ...]] = {}


def install() -> None:
    """Put :func:`remembering_call` in place of ``AttributePicker.__call__`` (once)."""
    replace(serialize.AttributePicker, "__call__", remembering_call)


def remembering_call(picker: Any, context: Any) -> Any:
    """``AttributePicker.__call__``, with the member's possible names looked up instead of worked out."""
    if picker.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS:
        return original(serialize.AttributePicker, "__call__")(picker, context)
    obj, shape = context.obj, context.shape
    key = (type(picker), obj.__class__, getattr(obj, "Meta", None), shape, getattr(shape, "parent", None),
           context.key)
    try:
        names = _names.get(key)
    except TypeError:  # a Meta that cannot be a dict key: moto's own way
        return original(serialize.AttributePicker, "__call__")(picker, context)
    if names is None:
        names = tuple(picker.get_possible_keys(context))
        if len(_names) >= MAX_ENTRIES:
            _names.clear()
        _names[key] = names
    value = None
    for name in names:
        found = serialize.get_value(obj, name, _MISSING)
        if found is not _MISSING:
            value = found
            break
    if picker.response_transformers:
        key_path = f"{context.key_path}.{context.key}"
        for transform_path, transform in picker.response_transformers.items():
            if key_path.endswith(transform_path):
                return transform(value)
    return value
