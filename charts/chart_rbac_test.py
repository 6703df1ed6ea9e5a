#!/usr/bin/env python3
"""The controller with nothing but the chart's RBAC: nanoplane-controller --store kubernetes,
with the flags of the chart's Deployment, runs as the chart's ServiceAccount against
np-fake-kube-apiserver, which enforces the rendered ClusterRole, Role and their bindings
(manifests/nanoplane.yaml, kept fresh by chart_test.py). It must take the Lease, register a
simulated agent's Host, reconcile a Unikernel (finalizer, revision, status, events), serve the
CLI's scale, rollout and delete, and never be refused (no 403 in its log). A control run
without one rule (unikernels/status) shows that the fake does refuse.

Usage: chart_rbac_test.py --controller PATH --agent PATH --cli PATH --fake-apiserver PATH
"""

import argparse
import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import yaml

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACE = "nanoplane-system"
SA_USER = f"system:serviceaccount:{NAMESPACE}:nanoplane-controller"
SA_GROUPS = f"system:serviceaccounts,system:serviceaccounts:{NAMESPACE}"
RBAC_KINDS = ("Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
              "RoleBinding")
BINARIES = {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout, process=None):
    """predicate()'s first true value within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited ({process.returncode})")
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


def chart_objects():
    with open(os.path.join(SOURCE, "manifests", "nanoplane.yaml")) as f:
        return [d for d in yaml.safe_load_all(f) if d]


class Cluster:
    """np-fake-kube-apiserver with the CRDs, an admin token and the ServiceAccount's token."""

    def __init__(self, work):
        self.work = work
        port_file = os.path.join(work, "apiserver.port")
        self.log = open(os.path.join(work, "apiserver.log"), "w")
        self.process = subprocess.Popen(
            [BINARIES["fake_apiserver"], "--address", "127.0.0.1:0", "--port-file", port_file,
             "--crd", os.path.join(SOURCE, "crds", "unikernels.nanoplane.dev.yaml"),
             "--crd", os.path.join(SOURCE, "crds", "hosts.nanoplane.dev.yaml"),
             "--token", "admin-token=admin:system:masters",
             "--token", f"sa-token={SA_USER}:{SA_GROUPS}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        port = wait_for("the fake API server's port", lambda: self._read(port_file), 20,
                        self.process)
        self.url = f"http://127.0.0.1:{port}"

    @staticmethod
    def _read(path):
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return f.read().strip()

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.log.close()

    def request(self, method, path, body=None, token="admin-token"):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def create(self, obj):
        """POSTs an object to its collection as the admin."""
        group_version = obj["apiVersion"]
        base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
        plural = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts",
                  "ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings",
                  "Role": "roles", "RoleBinding": "rolebindings",
                  "Unikernel": "unikernels"}[obj["kind"]]
        ns = obj["metadata"].get("namespace")
        path = f"{base}/namespaces/{ns}/{plural}" if ns else f"{base}/{plural}"
        code, answer = self.request("POST", path, obj)
        assert code == 201, f"create {obj['kind']} {obj['metadata']['name']}: {code} {answer}"

    def kubeconfig(self, token):
        path = os.path.join(self.work, "kubeconfig")
        with open(path, "w") as f:
            yaml.safe_dump({
                "apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                "users": [{"name": "sa", "user": {"token": token}}],
                "contexts": [{"name": "sa", "context": {"cluster": "fake", "user": "sa",
                                                        "namespace": NAMESPACE}}],
                "current-context": "sa"}, f)
        return path


def controller_argv(work, kubeconfig, ports):
    """The chart's Deployment's command and flags, with this machine's paths and ports."""
    deployment = next(d for d in chart_objects() if d["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    replace = {
        "--data-dir": os.path.join(work, "controller-data"),
        "--api-address": f"127.0.0.1:{ports['api']}",
        "--agent-address": f"127.0.0.1:{ports['hub']}",
        "--metrics-address": f"127.0.0.1:{ports['metrics']}",
        "--join-token-file": os.path.join(work, "join-token"),
        # A shorter startup wait than in a cluster: the test's one host reports at once.
        "--host-grace-period": "3",
    }
    argv = [BINARIES["controller"]]
    for arg in container["args"]:
        flag, _, value = arg.partition("=")
        argv.append(f"{flag}={replace.get(flag, value)}")
    assert container["command"] == ["nanoplane-controller"], container["command"]
    return argv + ["--kubeconfig", kubeconfig, "--leader-election-id", "nanoplane-controller-0"]


class ChartRbacTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="np-chart-rbac-")
        self.processes = []
        self.cluster = Cluster(self.work)
        with open(os.path.join(self.work, "join-token"), "w") as f:
            f.write("chart-rbac-test-token\n")

    def tearDown(self):
        for process, log in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()
        self.cluster.stop()
        if sys.exc_info()[0] is None:
            shutil.rmtree(self.work, ignore_errors=True)

    def start(self, name, argv):
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        return process

    def log_of(self, name):
        with open(os.path.join(self.work, f"{name}.log")) as f:
            return f.read()

    def install_rbac(self, objects):
        for obj in objects:
            if obj["kind"] in RBAC_KINDS:
                self.cluster.create(obj)
        self.cluster.create({"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": "shop"}})

    def start_controller(self):
        ports = {"api": free_port(), "hub": free_port(), "metrics": free_port()}
        kubeconfig = self.cluster.kubeconfig("sa-token")
        controller = self.start("controller", controller_argv(self.work, kubeconfig, ports))
        return controller, ports

    def unikernel(self):
        return {"apiVersion": "nanoplane.dev/v1alpha1", "kind": "Unikernel",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"replicas": 1, "template": {"image": {
                    "program": "/bin/web",
                    "source": {"url": "https://example.com/web", "sha256": "ab" * 32}}}}}

    def get(self, path):
        code, obj = self.cluster.request("GET", path)
        return obj if code == 200 else None

    def cli(self, ports, *args):
        result = subprocess.run(
            [BINARIES["cli"], *args, "--controller", f"127.0.0.1:{ports['api']}"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, f"nanoplane {' '.join(args)}: {result.stdout}"
                         f"{result.stderr}\ncontroller log:\n{self.log_of('controller')}")
        return result.stdout

    def test_the_controller_runs_with_the_charts_permissions_alone(self):
        self.install_rbac(chart_objects())
        controller, ports = self.start_controller()
        lease = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/nanoplane-controller"
        wait_for("the lease", lambda: (self.get(lease) or {}).get("spec", {}).get(
            "holderIdentity") == "nanoplane-controller-0", 20, controller)
        self.start("agent", [
            BINARIES["agent"], "--driver", "simulated", "--simulated-boot", "100ms",
            "--controller", f"127.0.0.1:{ports['hub']}", "--join-token", "chart-rbac-test-token",
            "--host", "kvm-1", "--state-dir", os.path.join(self.work, "agent"),
            "--metrics-address", "127.0.0.1:0", "--report-interval", "1"])
        host = "/apis/nanoplane.dev/v1alpha1/hosts/kvm-1"
        wait_for("the Host, Ready", lambda: any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (self.get(host) or {}).get("status", {}).get("conditions", [])), 20,
            controller)
        ready = f"http://127.0.0.1:{ports['metrics']}/readyz"
        wait_for("/readyz", lambda: self._ready(ready), 20, controller)

        self.cluster.create(self.unikernel())
        path = "/apis/nanoplane.dev/v1alpha1/namespaces/shop/unikernels/web"
        status = wait_for("the Unikernel's status", lambda: (
            (self.get(path) or {}).get("status", {}).get("readyReplicas") == 1 and
            self.get(path)), 30, controller)
        self.assertEqual(status["metadata"]["finalizers"], ["nanoplane.dev/instances"])
        self.assertEqual(status["status"]["observedGeneration"], 1)
        revisions = self.get("/apis/apps/v1/namespaces/shop/controllerrevisions")["items"]
        self.assertEqual(len(revisions), 1)
        events = self.get("/apis/events.k8s.io/v1/namespaces/shop/events")["items"]
        self.assertTrue(events)

        # Through the controller API, as the CLI drives it.
        self.cli(ports, "scale", "unikernel", "web", "--replicas", "2", "-n", "shop")
        wait_for("two ready", lambda: (self.get(path) or {}).get("status", {}).get(
            "readyReplicas") == 2, 30, controller)
        changed = copy.deepcopy(self.unikernel())
        changed["spec"]["replicas"] = 2
        changed["spec"]["template"]["image"]["program"] = "/bin/web2"
        manifest = os.path.join(self.work, "web.yaml")
        with open(manifest, "w") as f:
            yaml.safe_dump(changed, f)
        self.cli(ports, "apply", "-f", manifest)
        wait_for("revision 2", lambda: len(self.get(
            "/apis/apps/v1/namespaces/shop/controllerrevisions")["items"]) == 2, 30, controller)
        self.cli(ports, "rollout", "undo", "unikernel", "web", "-n", "shop")
        self.assertIn("web", self.cli(ports, "describe", "unikernel", "web", "-n", "shop"))
        self.cli(ports, "delete", "unikernel", "web", "-n", "shop")
        wait_for("the Unikernel gone", lambda: self.get(path) is None, 30, controller)
        wait_for("its revisions gone", lambda: not self.get(
            "/apis/apps/v1/namespaces/shop/controllerrevisions")["items"], 30, controller)

        log = self.log_of("controller")
        self.assertNotIn("forbidden", log.lower())  # the API server's 403 says "is forbidden"
        self.assertIsNone(controller.poll(), log)

    def test_a_missing_rule_is_refused(self):
        objects = chart_objects()
        for obj in objects:
            if obj["kind"] == "ClusterRole" and obj["metadata"]["name"] == "nanoplane-controller":
                obj["rules"] = [r for r in obj["rules"] if r["resources"] != ["unikernels/status"]]
        self.install_rbac(objects)
        controller, _ = self.start_controller()
        self.cluster.create(self.unikernel())
        wait_for("a refusal in the log", lambda: "forbidden" in self.log_of("controller"), 30,
                 controller)

    @staticmethod
    def _ready(url):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:  # refused, or 503 (HTTPError)
            return False


def main():
    parser = argparse.ArgumentParser()
    for name in ("controller", "agent", "cli", "fake-apiserver"):
        parser.add_argument(f"--{name}", required=True)
    args, rest = parser.parse_known_args()
    BINARIES.update(controller=args.controller, agent=args.agent, cli=args.cli,
                    fake_apiserver=args.fake_apiserver)
    program = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
