#!/usr/bin/env python3
"""Runs clang's thread-safety analysis (-fsyntax-only) over the translation units
that can have findings, from a clang build directory's compile_commands.json.

A unit can only draw a -Wthread-safety finding if it, or a project header it
includes (transitively), uses a lock or an annotation: the analysis has nothing
to check elsewhere. Skipping codegen and those other units is what makes the
check cheap enough for CI.

Usage: thread_safety_check.py BUILD_DIR JOBS
Exits 1 (printing clang's output) when any unit has a finding or fails to parse.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

LOCKING = re.compile(rb"absl::Mutex|absl/synchronization/mutex\.h|ABSL_[A-Z_]*(GUARDED|LOCK|REQUIRES|ACQUIRE|RELEASE|CAPABILITY|THREAD_SAFETY)")
INCLUDE = re.compile(rb'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def project_includes(path, root):
    with open(path, "rb") as f:
        text = f.read()
    found = []
    for name in INCLUDE.findall(text):
        candidate = os.path.join(root, name.decode())
        if os.path.isfile(candidate):
            found.append(os.path.normpath(candidate))
    return text, found


def uses_locking(source, root, memo):
    """True when `source` or a project header it includes mentions a lock."""
    stack, seen = [os.path.normpath(source)], set()
    while stack:
        path = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        if path not in memo:
            memo[path] = project_includes(path, root)
        text, includes = memo[path]
        if LOCKING.search(text):
            return True
        stack.extend(includes)
    return False


def syntax_only(entry):
    args = entry.get("arguments") or shlex.split(entry["command"])
    out = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "-o":
            skip = True
            continue
        out.append(arg)
    out.append("-fsyntax-only")
    result = subprocess.run(out, cwd=entry["directory"], capture_output=True, text=True)
    return entry["file"], result.returncode, result.stdout + result.stderr


def main():
    build_dir, jobs = sys.argv[1], int(sys.argv[2])
    root = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
    build_abs = os.path.abspath(build_dir)
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        entries = json.load(f)
    memo = {}
    units = [e for e in entries
             if not os.path.abspath(e["file"]).startswith(build_abs + os.sep)  # generated code
             and uses_locking(e["file"], root, memo)]
    failed = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for file, code, output in pool.map(syntax_only, units):
            if code != 0:
                failed += 1
                sys.stdout.write(output)
    print(f"check-thread-safety: {len(units)} of {len(entries)} units analysed, {failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
