# Container images of nanoplane-controller and nanoplane-agent (the chart's images):
#
#   docker build --target controller -t nanoplane-controller:0.1.0 .
#   docker build --target agent -t nanoplane-agent:0.1.0 .
#
# Multi-stage on Debian 12: the build stage installs what scripts/install-deps lists and
# builds the binaries; the runtime stages start from debian:12-slim and install only
# scripts/runtime-packages (and, for the agent, scripts/agent-runtime-packages), the same
# lists scripts/install-deps reads, checked against the binaries by
# scripts/runtime_packages_test.py. No container engine runs where the tests run, so the
# images themselves are not built in CI.

FROM debian:12 AS build
COPY . /src
WORKDIR /src
RUN scripts/install-deps \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNANOPLANE_BUILD_TESTS=OFF \
 && cmake --build /build --target nanoplane-controller nanoplane-agent nanoplane

FROM debian:12-slim AS runtime
COPY scripts/runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      $(grep -v '^[[:space:]]*\(#\|$\)' /tmp/runtime-packages) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages
# The nonroot user of distroless images: the chart's pods run as 65532.
RUN groupadd --gid 65532 nonroot && useradd --uid 65532 --gid 65532 --no-create-home nonroot

FROM runtime AS controller
COPY --from=build /build/bin/nanoplane-controller /build/bin/nanoplane /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["nanoplane-controller"]

FROM runtime AS agent
COPY scripts/agent-runtime-packages /tmp/agent-runtime-packages
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      $(grep -v '^[[:space:]]*\(#\|$\)' /tmp/agent-runtime-packages) \
 && rm -rf /var/lib/apt/lists/* /tmp/agent-runtime-packages
COPY --from=build /build/bin/nanoplane-agent /build/bin/nanoplane /usr/local/bin/
# The agent opens /dev/kvm and the host's libvirt socket: the DaemonSet decides its user.
ENTRYPOINT ["nanoplane-agent"]
