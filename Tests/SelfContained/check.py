#!/usr/bin/env python3
"""Fails when anything in the repository reaches outside it, or cites a document it lacks.

A clone in an empty directory must build, test and benchmark with nothing beside it. So, over
every file git tracks (text only):

- a relative path with `..` segments must stay inside the repository, resolved from the file's
  own folder or from the repository's root (Makefiles and scripts run from there);
- no absolute path into a workspace (`/work/…`, a home directory) and no `shared/` sibling;
- every cited `*.md` document (`docs/PROTOCOL.md`, `AUTOBAHN.md` …) must exist
  in the repository, so a reader can follow each reference.

Run from anywhere: `python3 Tests/SelfContained/check.py`. Exit 1 lists every offence as
file:line: what.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THIS = "Tests/SelfContained/check.py"

# A path token with at least one `..` segment: ../x, a/../../b, or a lone ".." string literal.
DOTDOT = re.compile(r"""(?<![\w.])((?:[\w.-]+/)*\.\.(?:/[\w.@-]*)*)(?![\w.])""")
PY_JOIN_PARENT = re.compile(r"""os\.path\.join\([^)]*["']\.\.["']""")
ABSOLUTE = re.compile(r"""(?<![\w.])(/work/|/home/|/root/|~/)""")
SHARED = re.compile(r"""(?<![\w-])shared/(design|reference|hooks)\b""")
CITED_DOC = re.compile(r"""(?<![\w/.-])((?:[\w-]+/)*[A-Z][A-Z0-9_-]*\.md)\b""")


def tracked_files():
    listing = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], capture_output=True, check=True).stdout
    for path in listing.decode().split("\0"):
        if path and path != THIS and os.path.isfile(os.path.join(ROOT, path)):
            yield path


def inside(path):
    resolved = os.path.normpath(path)
    return resolved == ROOT or resolved.startswith(ROOT + os.sep)


def documents():
    found = {}
    for path in tracked_files():
        if path.endswith(".md"):
            found.setdefault(os.path.basename(path), []).append(path)
    return found


def check():
    offences = []
    docs = documents()
    for path in tracked_files():
        try:
            text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue  # binary files read nothing
        folder = os.path.dirname(os.path.join(ROOT, path))
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{path}:{number}"
            for match in DOTDOT.finditer(line):
                token = match.group(1)
                if "/" not in token and token != "..":
                    continue
                candidates = [os.path.join(folder, token), os.path.join(ROOT, token)]
                if not any(inside(candidate) for candidate in candidates):
                    offences.append(f"{where}: '{token}' leaves the repository")
            if PY_JOIN_PARENT.search(line) and not path.startswith("Tests/SelfContained"):
                # os.path.join(ROOT, "..", …) climbs out of the root it starts from.
                if re.search(r"""join\(\s*ROOT\s*,\s*["']\.\.["']""", line):
                    offences.append(f"{where}: os.path.join(ROOT, '..') leaves the repository")
            if ABSOLUTE.search(line):
                offences.append(f"{where}: an absolute path into a workspace")
            if SHARED.search(line):
                offences.append(f"{where}: a path into a shared/ folder beside the repository")
            for match in CITED_DOC.finditer(line):
                name = os.path.basename(match.group(1))
                if name not in docs:
                    offences.append(f"{where}: cites {match.group(1)}, which is not in the repository")
    return offences


def self_test():
    """The checker must catch what it is for: a throwaway repository with one offence of each kind."""
    import tempfile
    global ROOT
    saved = ROOT
    with tempfile.TemporaryDirectory() as scratch:
        ROOT = os.path.realpath(scratch)
        os.makedirs(os.path.join(ROOT, "docs"))
        os.makedirs(os.path.join(ROOT, "Benchmarks"))
        files = {
            "docs/PROTOCOL.md": "# ok\n",
            # Built from parts, so this file itself holds no such path for other checks to find.
            "Makefile": "gate:\n\tcc -o x " + ".." + "/shared/reference/server.c\n",
            "Benchmarks/a.py": 'SRC = os.path.join(ROOT, "..", "elsewhere.c")\nOK = os.path.join(HERE, "..", "Makefile")\n',
            "Benchmarks/b.swift": "// see docs/PROTOCOL.md and LOAD.md; reads /work/main/x and ../Makefile\n",
        }
        for name, body in files.items():
            with open(os.path.join(ROOT, name), "w") as f:
                f.write(body)
        subprocess.run(["git", "-C", ROOT, "init", "-q"], check=True)
        subprocess.run(["git", "-C", ROOT, "add", "-A"], check=True)
        found = check()
        ROOT = saved
    expected = [
        "Makefile:2: '" + ".." + "/shared/reference/server.c' leaves the repository",
        "Makefile:2: a path into a shared/ folder beside the repository",
        "Benchmarks/a.py:1: os.path.join(ROOT, '..') leaves the repository",
        "Benchmarks/b.swift:1: an absolute path into a workspace",
        "Benchmarks/b.swift:1: cites LOAD.md, which is not in the repository",
    ]
    missing = [line for line in expected if line not in found]
    extra = [line for line in found if line not in expected]
    if missing or extra:
        print("self-test failed; missing:", missing, "unexpected:", extra)
        sys.exit(1)
    print(f"self-contained: self-test caught all {len(expected)} planted offences and nothing else")


if __name__ == "__main__":
    if "--self-test" in sys.argv:
        self_test()
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"self-contained: {len(problems)} reference(s) outside the repository", file=sys.stderr)
        sys.exit(1)
    print("self-contained: every path and cited document is inside the repository")
