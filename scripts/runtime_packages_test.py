#!/usr/bin/env python3
"""The Dockerfile's runtime stages against scripts/install-deps and the built binaries.

- scripts/runtime-packages and scripts/agent-runtime-packages are read by both
  scripts/install-deps and the Dockerfile's runtime stages, which install nothing else;
- every shared library the binaries link directly (readelf NEEDED) comes from a package
  on those lists, or from debian:12-slim itself;
- the programs the agent runs (qemu-img, qemu-system-x86_64) come from the agent's list;
- every listed package exists (is installed here, by install-deps).

  runtime_packages_test.py --source DIR --controller BIN --agent BIN --cli BIN
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

# In debian:12-slim already (essential, or needed by apt).
BASE_IMAGE = {"libc6", "libgcc-s1", "libstdc++6"}


def package_list(path):
    with open(path) as f:
        return [l.split("#")[0].strip() for l in f if l.split("#")[0].strip()]


def package_of(path):
    """The Debian package that holds `path` (merged /usr: try both spellings)."""
    candidates = [path, os.path.realpath(path)]
    if not path.startswith("/usr/"):
        candidates.append("/usr" + path)
    for candidate in candidates:
        out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":")[0].strip()
    raise AssertionError(f"no package holds {path}")


def needed_packages(binary):
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                             check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)
    resolved = {}
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            resolved[m.group(1)] = m.group(2)
    packages = {}
    for soname in needed:
        assert soname in resolved, f"{binary}: {soname} does not resolve"
        packages[soname] = package_of(resolved[soname])
    return packages


def runtime_stage_installs(dockerfile):
    """{stage: [files its apt-get install reads]}, for the stages after the build stage."""
    stages, current, text = {}, None, open(dockerfile).read()
    for block in re.split(r"\n(?=FROM )", text):
        m = re.match(r"FROM (\S+)(?: AS (\S+))?", block)
        if not m:
            continue
        current = m.group(2) or m.group(1)
        joined = block.replace("\\\n", " ")
        installs = [l for l in joined.splitlines() if "apt-get install" in l]
        stages[current] = (m.group(1), installs)
    return stages


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--controller", required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--cli", required=True)
    args = parser.parse_args()
    scripts = os.path.join(args.source, "scripts")
    runtime = package_list(os.path.join(scripts, "runtime-packages"))
    agent_runtime = package_list(os.path.join(scripts, "agent-runtime-packages"))
    failures = []

    install_deps = open(os.path.join(scripts, "install-deps")).read()
    for name in ("scripts/runtime-packages", "scripts/agent-runtime-packages"):
        if f"read_package_list {name}" not in install_deps:
            failures.append(f"scripts/install-deps does not install {name}")

    stages = runtime_stage_installs(os.path.join(args.source, "Dockerfile"))
    expected = {"runtime": "/tmp/runtime-packages", "agent": "/tmp/agent-runtime-packages"}
    for stage, (base, installs) in stages.items():
        if stage == "build":
            continue
        wanted = expected.get(stage)
        for line in installs:
            if wanted is None or wanted not in line:
                failures.append(f"Dockerfile stage {stage}: installs other than its list: {line}")
            # Nothing but the list: no package names beside the $(grep ...) of the file.
            rest = re.sub(r"\$\(grep .*?/tmp/[\w-]+\)", "", line.split("apt-get install", 1)[1])
            extra = [w for w in rest.split() if not w.startswith("-") and w not in ("\\", "&&")]
            extra = extra[: extra.index("rm")] if "rm" in extra else extra
            if extra:
                failures.append(f"Dockerfile stage {stage}: also installs {extra}")
        if wanted is not None and not installs:
            failures.append(f"Dockerfile stage {stage}: does not install {wanted}")
    for stage in ("build", "runtime", "controller", "agent"):
        if stage not in stages:
            failures.append(f"Dockerfile: no stage {stage}")
    if stages.get("runtime", ("",))[0] != "debian:12-slim":
        failures.append("Dockerfile: the runtime stage is not debian:12-slim")

    for binary, allowed in ((args.controller, runtime), (args.cli, runtime),
                            (args.agent, runtime + agent_runtime)):
        for soname, package in needed_packages(binary).items():
            if package not in allowed and package not in BASE_IMAGE:
                failures.append(f"{os.path.basename(binary)} links {soname} from {package}, "
                                "which scripts/runtime-packages does not list")
    for program in ("qemu-img", "qemu-system-x86_64"):
        path = shutil.which(program)
        if path is None:
            failures.append(f"{program} is not installed")
        elif package_of(path) not in agent_runtime:
            failures.append(f"{program} comes from {package_of(path)}, which "
                            "scripts/agent-runtime-packages does not list")

    for package in runtime + agent_runtime:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True)
        if "install ok installed" not in status.stdout:
            failures.append(f"{package} (listed) is not a package installed here")

    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(runtime)} runtime packages, {len(agent_runtime)} for the agent; "
          f"{len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
