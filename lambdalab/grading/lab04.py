"""Lesson 04's lab: building a layer zip, upgrading the layer version a function pins, splitting a project
into a shared layer and function packages.

Every check runs the learner's code in a real execution environment on inputs drawn fresh each time (source
trees with random module names and contents, layers with random numbers of versions attached in a random
order, projects of several functions sharing some files), then publishes and attaches what the code produced
and imports from it in real functions: a layer passes when functions can use it, not when it looks right.
"""

from __future__ import annotations

import base64
import io
import json
import random
import uuid
import zipfile
from pathlib import Path

from lambdalab.grading import checker, exercise, failed, passed
from lambdalab.grading.fixtures import deploy_with_probe, describe_failure, lambda_client
from lambdalab.grading.probes import FUNCTION_PROBE
from lambdalab.grading.results import CheckResult
from lambdalab.service.packages import zip_files

check = checker("04")

BUILD_FILE = "lab04/ex1/build.py"
UPGRADE_FILE = "lab04/ex2/upgrade.py"
SPLIT_FILE = "lab04/ex3/split.py"

_WORDS = (
    "amber",
    "birch",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "grove",
    "heron",
    "iris",
    "juniper",
    "kelp",
    "lumen",
    "maple",
    "nectar",
    "onyx",
    "pine",
    "quartz",
    "river",
    "sage",
    "tundra",
)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_WORDS)}_{uuid.uuid4().hex[:6]}"


def _delete_layers(lam, names: list[str]) -> None:
    for name in names:
        for version in lam.list_layer_versions(LayerName=name).get("LayerVersions", []):
            try:
                lam.delete_layer_version(LayerName=name, VersionNumber=version["Version"])
            except Exception:  # noqa: BLE001 - cleaning up is best effort
                pass


# --- exercise 1 ------------------------------------------------------------------------------------
BUILD_PROBE = "lab04_build"


def _source_tree(rng: random.Random) -> tuple[dict[str, bytes], dict[str, str], set[str]]:
    """Files of a library (path → bytes), the values its modules hold, and the paths a layer must not ship."""
    module, package, sub = _name(rng), _name(rng), _name(rng)
    values = {name: uuid.uuid4().hex for name in ("module", "package", "sub", "data")}
    files = {
        f"{module}.py": f"VALUE = {values['module']!r}\n".encode(),
        f"{package}/__init__.py": f"VALUE = {values['package']!r}\n".encode(),
        f"{package}/{sub}.py": f"VALUE = {values['sub']!r}\n".encode(),
        f"{package}/data.json": json.dumps({"value": values["data"]}).encode(),
    }
    junk = {f"__pycache__/{module}.cpython-311.pyc", f"{package}/__pycache__/{sub}.cpython-312.pyc"}
    for path in junk:
        files[path] = b"\x00stale bytecode from a local run\x00"
    handler = (
        f"import json\nfrom pathlib import Path\n\nimport {module}\nimport {package}\n"
        f"from {package} import {sub}\n\n\ndef handler(event, context):\n"
        f"    data = json.loads((Path({package}.__file__).parent / 'data.json').read_text())\n"
        f"    return {{'module': {module}.VALUE, 'package': {package}.VALUE, 'sub': {sub}.VALUE, "
        f"'data': data['value']}}\n"
    )
    return files, {"values": values, "handler": handler}, junk


@exercise(lab="04", number=1, title="Build a layer zip", files=[BUILD_FILE])
def build_a_layer(answer: Path) -> CheckResult:
    import lambdalab

    rng = random.Random()
    files, expected, junk = _source_tree(rng)
    probe = deploy_with_probe(answer, BUILD_FILE, BUILD_PROBE, timeout=10)
    try:
        result = probe.invoke(
            {
                "files": {p: base64.b64encode(c).decode() for p, c in files.items()},
                "touched_at": rng.randrange(1_500_000_000, 1_700_000_000),
            }
        )
    finally:
        probe.delete()
    if not result.ok:
        return failed(
            expected="the bytes of a zip file",
            got=describe_failure(result),
            hint="write the zip into an io.BytesIO with zipfile.ZipFile, and return buffer.getvalue()",
        )
    try:
        layer_zip = base64.b64decode(result.payload["first"])
        names = [n for n in zipfile.ZipFile(io.BytesIO(layer_zip)).namelist() if not n.endswith("/")]
    except zipfile.BadZipFile:
        return failed(
            expected="the bytes of a zip file",
            got="bytes that are not a zip archive",
            hint="return the zip's bytes, not a path or the folder's contents",
        )
    wanted = sorted(f"python/{p}" for p in files if p not in junk)
    shipped_junk = sorted(n for n in names if "__pycache__" in n or n.endswith(".pyc"))
    if shipped_junk:
        return failed(
            expected="no __pycache__ folders or .pyc files in the layer",
            got=f"{shipped_junk[0]}",
            hint="bytecode compiled by your machine's Python is not the runtime's: skip it",
        )
    if sorted(names) != wanted:
        missing = sorted(set(wanted) - set(names))
        extra = sorted(set(names) - set(wanted))
        detail = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        return failed(
            expected=f"{len(wanted)} files, each at python/<its path in the folder>",
            got=f"{len(names)} files; {detail}",
            hint="Lambda puts the layer's python/ folder on the import path: every entry's name starts "
            "with python/, followed by the file's path relative to the folder you were given",
        )
    if not result.payload["same"]:
        return failed(
            expected="the same bytes when the same folder is zipped again after its files were touched",
            got="different bytes",
            hint="a zip records each file's modification time: give every "
            "entry a fixed date_time (zipfile.ZipInfo) and add them in order",
        )
    lam = lambda_client(3)
    layer_name = f"check-build-{uuid.uuid4().hex[:8]}"
    fn = None
    try:
        arn = lam.publish_layer_version(LayerName=layer_name, Content={"ZipFile": layer_zip})["LayerVersionArn"]
        fn = lambdalab.deploy(f"check-uses-layer-{uuid.uuid4().hex[:8]}", code=expected["handler"], layers=[arn])
        used = fn.invoke({})
    finally:
        if fn is not None:
            fn.delete()
        _delete_layers(lam, [layer_name])
    if not used.ok or used.payload != expected["values"]:
        return failed(
            expected="a function with your layer attached to import its modules and read its data file",
            got=describe_failure(used) if not used.ok else f"it read {used.payload!r}",
            hint="keep packages' files (data files included) next to their modules",
        )
    return passed(
        got=f"a function imported {len(wanted) - 1} unseen modules and read a data file from your layer; "
        "touching the files left the zip's bytes unchanged"
    )


# --- exercise 2 ------------------------------------------------------------------------------------
UPGRADE_PROBE = "lab04_upgrade"


def _publish(lam, name: str, source: str) -> str:
    return lam.publish_layer_version(
        LayerName=name, Content={"ZipFile": zip_files({f"python/{name.replace('-', '_')}.py": source})}
    )["LayerVersionArn"]


@exercise(lab="04", number=2, title="Upgrade the layer a function pins", files=[UPGRADE_FILE])
def upgrade_a_pinned_layer(answer: Path) -> CheckResult:
    import lambdalab

    rng = random.Random()
    lam = lambda_client(3)
    stem = f"check-{rng.choice(_WORDS)}-{uuid.uuid4().hex[:6]}"
    target, decoy, other = stem, f"{stem}-extras", f"check-{rng.choice(_WORDS)}-{uuid.uuid4().hex[:6]}"
    # random in their values, never lucky: the pinned version is at least two behind the newest (so "one
    # more" is wrong), the layer sits between the two others (so moving it to either end is seen) and the
    # decoy whose name begins like it is always attached (so matching by prefix is seen)
    versions = rng.randrange(3, 7)
    pinned = rng.randrange(1, versions - 1)
    arns = [_publish(lam, target, f"VERSION = {v}\n") for v in range(1, versions + 1)]
    decoy_arns = [_publish(lam, decoy, f"VERSION = {v}\n") for v in range(1, rng.randrange(2, 4))]
    other_arn = _publish(lam, other, "VERSION = 1\n")
    ends = [decoy_arns[0], other_arn]
    rng.shuffle(ends)
    layers = [ends[0], arns[pinned - 1], ends[1]]
    module = target.replace("-", "_")
    fn = lambdalab.deploy(
        f"check-pinned-{uuid.uuid4().hex[:8]}",
        layers=layers,
        code=f"import {module}\n\ndef handler(event, context):\n    return {module}.VERSION\n",
    )
    probe = deploy_with_probe(answer, UPGRADE_FILE, UPGRADE_PROBE, timeout=15)
    try:
        result = probe.invoke({"function_name": fn.name, "layer_name": target})
        after = [layer["Arn"] for layer in lam.get_function_configuration(FunctionName=fn.name).get("Layers", [])]
        used = fn.invoke({})
    finally:
        probe.delete()
        fn.delete()
        _delete_layers(lam, [target, decoy, other])
    setting = (
        f"{fn.name} attached to {len(layers)} layers, {target}:{pinned} among them; {target} has {versions} versions"
    )
    if not result.ok:
        return failed(
            expected=f"the ARN of {target}:{versions}",
            got=describe_failure(result),
            hint="lam.list_layer_versions(LayerName=...) lists a layer's versions",
        )
    wanted = [arns[-1] if arn == arns[pinned - 1] else arn for arn in layers]
    if after != wanted:
        short = [arn.split(":layer:")[1] for arn in after]
        if len(after) != len(wanted):
            hint = "Layers=[...] replaces the whole list: pass every layer, in the same order"
        elif sorted(after) == sorted(wanted):
            hint = "keep the layers in their order: later layers win when two ship the same file"
        elif [arn.split(":")[6] for arn in after] == [arn.split(":")[6] for arn in wanted]:
            hint = "the newest version is the highest Version that list_layer_versions lists, not the next one"
        else:
            hint = "match the layer by its name (the part of the ARN before the version), not by a prefix"
        return failed(
            expected="the same layers in the same order, with " + f"{target}:{pinned} replaced by {target}:{versions}",
            got=f"{short}  ({setting})",
            hint=hint,
        )
    if result.payload != arns[-1]:
        return failed(
            expected=f"the new version's ARN returned ({target}:{versions})",
            got=repr(result.payload),
            hint="return the LayerVersionArn you attached",
        )
    if not used.ok or used.payload != versions:
        return failed(
            expected=f"the function to import version {versions}",
            got=describe_failure(used) if not used.ok else f"version {used.payload}",
            hint="update the function's configuration",
        )
    return passed(
        got=f"the function now imports the newest of the layer's {versions} versions; the other "
        f"{len(layers) - 1} layers kept, in their order"
    )


# --- exercise 3 ------------------------------------------------------------------------------------
def _project(rng: random.Random) -> tuple[dict[str, dict[str, str]], dict[str, dict]]:
    """Three functions' files, and what each function's handler must return once deployed."""
    names = [
        f"{word}-{uuid.uuid4().hex[:4]}"
        for word in rng.sample(("orders", "billing", "emails", "search", "reports", "users"), 3)
    ]
    dsn = f"postgres://db-{uuid.uuid4().hex[:6]}.internal/app"
    rate = rng.randrange(5, 25)
    shared_all = {
        "common/__init__.py": "",
        "common/db.py": f"DSN = {dsn!r}\n",
    }
    shared_two = {
        "common/money.py": f"VAT_PERCENT = {rate}\n",
        "common/rates.json": json.dumps({"EUR": round(rng.uniform(0.8, 1.2), 4)}),
    }
    project: dict[str, dict[str, str]] = {}
    expected: dict[str, dict] = {}
    for i, name in enumerate(names):
        files = dict(shared_all)
        uses_money = i < 2
        if uses_money:
            files.update(shared_two)
        files["config.py"] = f"NAME = {name!r}\n"
        if i == 2:
            files["render.py"] = f"TEMPLATE = 'Hello from {name}'\n"
        body = [
            "import json",
            "from pathlib import Path",
            "",
            "import common",
            "import config",
            "from common import db",
        ]
        result = ["'name': config.NAME", "'dsn': db.DSN"]
        if uses_money:
            body.append("from common import money")
            result += [
                "'vat': money.VAT_PERCENT",
                "'eur': json.loads((Path(common.__file__).parent / 'rates.json').read_text())['EUR']",
            ]
        if i == 2:
            body.append("import render")
            result.append("'template': render.TEMPLATE")
        body += ["", "", "def handler(event, context):", f"    return {{{', '.join(result)}}}", ""]
        files["app.py"] = "\n".join(body)
        project[name] = files
        expected[name] = {"name": name, "dsn": dsn}
        if uses_money:
            expected[name].update(vat=rate, eur=json.loads(shared_two["common/rates.json"])["EUR"])
        if i == 2:
            expected[name]["template"] = f"Hello from {name}"
    return project, expected


def _judge_split(project: dict[str, dict[str, str]], layer: object, packages: object) -> CheckResult | None:
    if not isinstance(layer, dict) or not isinstance(packages, dict):
        return failed(
            expected="a pair (layer, packages) of dicts",
            got=f"({type(layer).__name__}, {type(packages).__name__})",
            hint="return layer, packages",
        )
    bad = sorted(p for p in layer if not str(p).startswith("python/"))
    if bad:
        return failed(
            expected="every path in the layer to start with python/",
            got=repr(bad[0]),
            hint="Lambda puts the layer's python/ folder on the import path",
        )
    if set(packages) != set(project):
        return failed(
            expected=f"a package for each function: {sorted(project)}",
            got=f"{sorted(packages)}",
            hint="packages maps every function name to its own files",
        )
    holders: dict[str, list[str]] = {}
    for name, files in project.items():
        for path in files:
            holders.setdefault(path, []).append(name)
    for path, names in sorted(holders.items()):
        contents = {project[n][path] for n in names}
        shareable = len(names) >= 2 and len(contents) == 1
        in_layer = f"python/{path}" in layer
        if shareable and not in_layer:
            return failed(
                expected=f"{path} in the layer: {len(names)} functions need it, identical",
                got="it is not in the layer",
                hint="a file that two or more functions need with the same content belongs in the layer",
            )
        if not shareable and in_layer:
            why = (
                f"only {names[0]} needs it"
                if len(names) == 1
                else f"{len(names)} functions have it, but with different contents"
            )
            return failed(
                expected=f"{path} in each function's own package ({why})",
                got="it is in the layer",
                hint="a layer has one copy of each file for every function that attaches it",
            )
        for name in names:
            package = packages.get(name) or {}
            if shareable and path in package:
                return failed(
                    expected=f"{path} only in the layer",
                    got=f"a copy in {name}'s package too",
                    hint="a copy in the package shadows the layer's: the package is first on the path",
                )
            if not shareable and package.get(path) != project[name][path]:
                return failed(
                    expected=f"{path} in {name}'s package, unchanged",
                    got="missing" if path not in package else "changed",
                    hint="files a function does not share stay in its package, as they were",
                )
        if in_layer and layer[f"python/{path}"] != next(iter(contents)):
            return failed(
                expected=f"python/{path} in the layer with the functions' content",
                got="changed content",
                hint="copy the file as it is",
            )
    return None


@exercise(lab="04", number=3, title="What goes in the layer, what stays in the function", files=[SPLIT_FILE])
def split_into_layer_and_packages(answer: Path) -> CheckResult:
    import lambdalab

    rng = random.Random()
    project, expected = _project(rng)
    probe = deploy_with_probe(answer, SPLIT_FILE, FUNCTION_PROBE, function="split", timeout=5)
    try:
        result = probe.invoke({"calls": [{"functions": project}]})
    finally:
        probe.delete()
    if not result.ok:
        return failed(
            expected="(layer, packages)",
            got=describe_failure(result),
            hint="count, for each path, which functions have it and whether their contents agree",
        )
    answer_pair = result.payload[0]
    if not isinstance(answer_pair, list) or len(answer_pair) != 2:
        return failed(
            expected="a pair (layer, packages)", got=f"{type(answer_pair).__name__}", hint="return layer, packages"
        )
    layer, packages = answer_pair
    verdict = _judge_split(project, layer, packages)
    if verdict is not None:
        return verdict
    lam = lambda_client(3)
    layer_name = f"check-shared-{uuid.uuid4().hex[:8]}"
    deployed = []
    try:
        arn = lam.publish_layer_version(LayerName=layer_name, Content={"ZipFile": zip_files(layer)})["LayerVersionArn"]
        for name, files in packages.items():
            fn = lambdalab.deploy(f"check-{name}", files=files, layers=[arn])
            deployed.append(fn)
            used = fn.invoke({})
            if not used.ok or used.payload != expected[name]:
                return failed(
                    expected=f"{name} to run with its package and the layer",
                    got=describe_failure(used) if not used.ok else f"it returned {used.payload!r}",
                    hint="every file a function imports must be in its package or the layer",
                )
    finally:
        for fn in deployed:
            fn.delete()
        _delete_layers(lam, [layer_name])
    shared = len(layer)
    return passed(got=f"{shared} shared files in the layer, {len(packages)} functions deployed with it and run")
