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

_MISSING = object()
#: Combinations remembered; a sandbox meets a few thousand (one per member of each reply shape it renders).
MAX_ENTRIES = 50_000
_names: dict[tuple[Any, ...], tuple[str, ...]] = {}


def install() -> None:
    """Replace ``AttributePicker.__call__`` with one that remembers each member's possible names (idempotent)."""
    from moto.core import serialize

    picker = serialize.AttributePicker
    if getattr(picker.__call__, "_lambdalab_remembers", False):
        return
    defaults = serialize.DEFAULT_ALIAS_PROVIDERS
    get_value = serialize.get_value
    moto_call = picker.__call__

    def __call__(self: Any, context: Any) -> Any:  # noqa: N807 - the method it replaces
        if self.alias_providers is not defaults:
            return moto_call(self, context)
        obj, shape = context.obj, context.shape
        key = (type(self), obj.__class__, getattr(obj, "Meta", None), shape, getattr(shape, "parent", None),
               context.key)
        try:
            names = _names.get(key)
        except TypeError:  # a Meta that cannot be a dict key: moto's own way
            return moto_call(self, context)
        if names is None:
            names = tuple(self.get_possible_keys(context))
            if len(_names) >= MAX_ENTRIES:
                _names.clear()
            _names[key] = names
        value = None
        for name in names:
            found = get_value(obj, name, _MISSING)
            if found is not _MISSING:
                value = found
                break
        if self.response_transformers:
            key_path = f"{context.key_path}.{context.key}"
            for transform_path, transform in self.response_transformers.items():
                if key_path.endswith(transform_path):
                    return transform(value)
        return value

    __call__._lambdalab_remembers = True  # type: ignore[attr-defined]
    __call__.__wrapped__ = moto_call  # type: ignore[attr-defined]
    picker.__call__ = __call__
