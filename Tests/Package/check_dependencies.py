#!/usr/bin/env python3
"""Package.swift says what each target depends on; its sources say what they import. The two must
match: every module a target imports comes from a dependency it declares (not one that happens to
be built for another target), and every dependency it declares is imported somewhere in it.

Reads `swift package dump-package` for Parley and for each resolved dependency (to know which
modules a product brings), so the check follows Package.swift instead of keeping its own list.

Run from the package root after `swift package resolve` (make test does). --self-test first
plants an undeclared import and an unused dependency and requires both to be caught."""
import argparse
import json
import pathlib
import re
import subprocess
import sys

# Modules of the toolchain and the system: no package provides them.
SYSTEM_MODULES = {"Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML",
                  "Glibc", "Musl", "Darwin", "Dispatch", "Synchronization", "Testing", "XCTest",
                  "_Concurrency", "Swift", "os"}
IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)",
                    re.MULTILINE)


def dump_package(directory):
    output = subprocess.run(["swift", "package", "dump-package"], cwd=directory, check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output)


def target_path(package_root, target):
    if target.get("path"):
        return package_root / target["path"]
    folder = "Tests" if target["type"] == "test" else "Sources"
    return package_root / folder / target["name"]


def imports_of(folder):
    """module -> first file (relative) that imports it."""
    found = {}
    for source in sorted(folder.rglob("*.swift")):
        for module in IMPORT.findall(source.read_text()):
            found.setdefault(module, source)
    return found


def modules_of_products(checkouts):
    """(package identity, product name) -> the modules that product makes importable."""
    products = {}
    for checkout in sorted(p for p in checkouts.iterdir() if (p / "Package.swift").exists()):
        manifest = dump_package(checkout)
        identity = checkout.name.lower()
        targets = {t["name"]: t for t in manifest["targets"]}

        def closure(name, seen):
            if name in seen or name not in targets:
                return
            seen.add(name)
            for dependency in targets[name]["dependencies"]:
                inner = dependency.get("byName") or dependency.get("target")
                if inner:
                    closure(inner[0], seen)

        for product in manifest["products"]:
            modules = set()
            for target in product["targets"]:
                closure(target, modules)
            products[(identity, product["name"])] = modules
    return products


def declared_dependencies(target):
    """[(label, provided-by key)] for each dependency Package.swift lists for the target."""
    result = []
    for dependency in target["dependencies"]:
        if "product" in dependency:
            name, package = dependency["product"][0], dependency["product"][1]
            result.append((f"{name} ({package})", ("product", package.lower(), name)))
        else:
            name = (dependency.get("byName") or dependency.get("target"))[0]
            result.append((name, ("local", name)))
    return result


def check(package_root, manifest, products):
    problems = []
    local = {t["name"] for t in manifest["targets"]}
    for target in manifest["targets"]:
        if target["type"] in ("system", "binary"):
            continue
        folder = target_path(package_root, target)
        if not any(folder.rglob("*.swift")):
            continue  # a C target: its dependencies are headers and libraries, not imports
        imported = imports_of(folder)
        provides = {}
        for label, key in declared_dependencies(target):
            if key[0] == "local":
                provides[label] = {key[1]}
            else:
                provides[label] = products.get((key[1], key[2]), {key[2]})
        available = set().union(*provides.values()) if provides else set()
        for module, source in sorted(imported.items()):
            if module in SYSTEM_MODULES or module == target["name"]:
                continue
            if module not in available:
                where = source.relative_to(package_root)
                kind = "a target of this package" if module in local else "a product of a dependency"
                problems.append(f"{target['name']}: {where} imports {module} ({kind}), "
                                f"which Package.swift does not declare for it")
        for label, modules in provides.items():
            if not modules & set(imported):
                problems.append(f"{target['name']}: Package.swift declares {label}, "
                                f"which no file in {folder.relative_to(package_root)} imports")
    return problems


def self_test(package_root, manifest, products):
    """A planted undeclared import and a planted unused dependency must both be reported."""
    planted = json.loads(json.dumps(manifest))
    protocol = next(t for t in planted["targets"] if t["name"] == "ParleyProtocol")
    protocol["dependencies"].append({"byName": ["ParleyHost", None]})
    problems = check(package_root, planted, products)
    assert any("ParleyProtocol: Package.swift declares ParleyHost" in p for p in problems), problems
    chat = next(t for t in planted["targets"] if t["name"] == "ParleyChat")
    chat["dependencies"] = [d for d in chat["dependencies"] if d.get("byName", [None])[0] != "ParleyProtocol"]
    problems = check(package_root, planted, products)
    assert any(re.search(r"ParleyChat: \S+ imports ParleyProtocol", p) for p in problems), problems
    print("self-test: a planted unused dependency and a planted undeclared import were both caught")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the package root (default: here)")
    parser.add_argument("--self-test", action="store_true", help="prove the check catches planted mistakes first")
    arguments = parser.parse_args()
    root = pathlib.Path(arguments.root).resolve()
    manifest = dump_package(root)
    checkouts = root / ".build" / "checkouts"
    if not checkouts.is_dir():
        sys.exit(f"check_dependencies: {checkouts} is missing: run `swift package resolve` first")
    products = modules_of_products(checkouts)
    if arguments.self_test:
        self_test(root, manifest, products)
    problems = check(root, manifest, products)
    for problem in problems:
        print(f"check_dependencies: {problem}")
    targets = sum(1 for t in manifest["targets"]
                  if t["type"] not in ("system", "binary") and any(target_path(root, t).rglob("*.swift")))
    print(f"check_dependencies: {targets} Swift targets, {len(problems)} mismatches between Package.swift and the imports")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
