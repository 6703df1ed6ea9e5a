#!/usr/bin/env python3
"""The controller with nothing but the chart's RBAC: nanoplane-controller --store kubernetes,
with the flags of the chart's Deployment, runs as the chart's ServiceAccount against
np-fake-kube-apiserver, which enforces the rendered ClusterRole, Role and their bindings
(manifests/nanoplane.yaml, kept fresh by chart_test.py). It must take the Lease, register a
simulated agent's Host, reconcile a Unikernel (finalizer, revision, status, events), serve the
CLI's apply, scale, rollout, describe and delete, and never be refused (no 403 in its log or
the CLI's). Then the same without each verb of the roles in turn: each time it fails, so the
roles hold only what the controller uses.

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


class Refused(Exception):
    """The API server refused the controller something (a 403: "... is forbidden")."""


class ChartRbacTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="np-chart-rbac-")
        self.processes = []
        self.cluster = Cluster(self.work)
        with open(os.path.join(self.work, "join-token"), "w") as f:
            f.write("chart-rbac-test-token\n")

    def tearDown(self):
        self.stop_processes()
        self.cluster.stop()
        if sys.exc_info()[0] is None:
            shutil.rmtree(self.work, ignore_errors=True)

    def stop_processes(self):
        for process, log in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()
        self.processes = []

    def start(self, name, argv):
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        return process

    def log_of(self, name):
        with open(os.path.join(self.work, f"{name}.log")) as f:
            return f.read()

    def get(self, path):
        code, obj = self.cluster.request("GET", path)
        return obj if code == 200 else None

    timeout = 30  # seconds for each step

    def wait(self, what, predicate):
        """wait_for, ending with Refused as soon as the controller logs a refusal."""
        def check():
            if "forbidden" in self.log_of("controller").lower():
                raise Refused(f"{what}: {self.log_of('controller')}")
            return predicate()
        return wait_for(what, check, self.timeout, self.controller)

    def cli(self, *args):
        result = subprocess.run(
            [BINARIES["cli"], *args, "--controller", f"127.0.0.1:{self.ports['api']}"],
            capture_output=True, text=True, timeout=60)
        output = result.stdout + result.stderr
        if "forbidden" in output.lower():
            raise Refused(f"nanoplane {' '.join(args)}: {output}")
        self.assertEqual(result.returncode, 0, f"nanoplane {' '.join(args)}: {output}\n"
                         f"controller log:\n{self.log_of('controller')}")
        return result.stdout

    def scenario(self, objects):
        """Installs `objects`' RBAC, then drives the controller through every request it makes.
        Refused when the API server refuses it one."""
        for obj in objects:
            if obj["kind"] in RBAC_KINDS:
                self.cluster.create(obj)
        self.cluster.create({"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": "shop"}})
        self.ports = {"api": free_port(), "hub": free_port(), "metrics": free_port()}
        kubeconfig = self.cluster.kubeconfig("sa-token")
        self.controller = self.start("controller",
                                     controller_argv(self.work, kubeconfig, self.ports))
        lease = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/nanoplane-controller"
        self.wait("the lease", lambda: (self.get(lease) or {}).get("spec", {}).get(
            "holderIdentity") == "nanoplane-controller-0")
        self.start("agent", [
            BINARIES["agent"], "--driver", "simulated", "--simulated-boot", "100ms",
            "--controller", f"127.0.0.1:{self.ports['hub']}",
            "--join-token", "chart-rbac-test-token", "--host", "kvm-1",
            "--state-dir", os.path.join(self.work, "agent"), "--metrics-address", "127.0.0.1:0",
            "--report-interval", "1"])
        host = "/apis/nanoplane.dev/v1alpha1/hosts/kvm-1"
        self.wait("the Host, Ready", lambda: any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (self.get(host) or {}).get("status", {}).get("conditions", [])))
        ready = f"http://127.0.0.1:{self.ports['metrics']}/readyz"
        self.wait("/readyz", lambda: self._ready(ready))
        self.assertIn("kvm-1", self.cli("get", "hosts"))

        # Everything else through the controller API, as the CLI drives it.
        web = {"apiVersion": "nanoplane.dev/v1alpha1", "kind": "Unikernel",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"replicas": 1, "template": {"image": {
                   "program": "/bin/web",
                   "source": {"url": "https://example.com/web", "sha256": "ab" * 32}}}}}
        manifest = os.path.join(self.work, "web.yaml")
        with open(manifest, "w") as f:
            yaml.safe_dump(web, f)
        self.cli("apply", "-f", manifest)
        path = "/apis/nanoplane.dev/v1alpha1/namespaces/shop/unikernels/web"
        revisions = "/apis/apps/v1/namespaces/shop/controllerrevisions"
        status = self.wait("the Unikernel's status", lambda: (
            (self.get(path) or {}).get("status", {}).get("readyReplicas") == 1 and
            self.get(path)))
        self.assertEqual(status["metadata"]["finalizers"], ["nanoplane.dev/instances"])
        self.assertEqual(status["status"]["observedGeneration"], 1)
        self.assertEqual(len(self.get(revisions)["items"]), 1)
        self.cli("scale", "unikernel", "web", "--replicas", "2", "-n", "shop")
        self.wait("two ready", lambda: (self.get(path) or {}).get("status", {}).get(
            "readyReplicas") == 2)
        # The same event again is a patch of its series.
        self.wait("an event seen twice", lambda: any(
            e.get("series", {}).get("count", 1) > 1
            for e in self.get("/apis/events.k8s.io/v1/namespaces/shop/events")["items"]))
        web["spec"]["replicas"] = 2
        web["spec"]["template"]["image"]["program"] = "/bin/web2"
        with open(manifest, "w") as f:
            yaml.safe_dump(web, f)
        self.cli("apply", "-f", manifest)
        self.wait("revision 2", lambda: len(self.get(revisions)["items"]) == 2)
        self.cli("rollout", "undo", "unikernel", "web", "-n", "shop")
        self.wait("revision 1 again, as 3", lambda: sorted(
            r["revision"] for r in self.get(revisions)["items"]) == [2, 3])
        self.assertIn("RolloutComplete", self.cli("describe", "unikernel", "web", "-n", "shop"))
        self.cli("delete", "unikernel", "web", "-n", "shop")
        self.wait("the Unikernel gone", lambda: self.get(path) is None)
        self.wait("its revisions gone", lambda: not self.get(revisions)["items"])
        # A last look, after a report or two more.
        time.sleep(2)
        self.wait("the log", lambda: True)
        self.assertIsNone(self.controller.poll(), self.log_of("controller"))

    def test_the_controller_runs_with_the_charts_permissions_alone(self):
        try:
            self.scenario(chart_objects())
        except Refused as refused:
            self.fail(f"refused with the chart's roles: {refused}")

    def test_every_verb_of_the_charts_roles_is_needed(self):
        """Without any one verb of the controller's ClusterRole and Role, the scenario fails:
        the roles hold nothing it does not use (but the rule for the admission plugin the
        fake does not have, files/controller-rbac.yaml's `from: admission`). Mostly it is
        refused; a refused watch or Host write the controller retries without a word, and
        then a step waits in vain."""
        self.timeout = 10
        with open(os.path.join(SOURCE, "charts", "nanoplane", "files",
                               "controller-rbac.yaml")) as f:
            admission = [r["resources"] for scope in yaml.safe_load(f).values() for r in scope
                         if r.get("from") == "admission"]
        objects = chart_objects()
        roles = [(i, o) for i, o in enumerate(objects) if o["kind"] in ("ClusterRole", "Role")
                 and o["metadata"]["name"] == "nanoplane-controller"]
        self.assertEqual(len(roles), 2)
        cases = [(i, r, verb) for i, role in roles for r, rule in enumerate(role["rules"])
                 if rule["resources"] not in admission for verb in rule["verbs"]]
        self.assertGreater(len(cases), 15)
        for index, rule, verb in cases:
            reduced = copy.deepcopy(objects)
            role = reduced[index]
            role["rules"][rule]["verbs"].remove(verb)
            if not role["rules"][rule]["verbs"]:
                del role["rules"][rule]
            what = f"{role['kind']} without {verb} {objects[index]['rules'][rule]['resources']}"
            with self.subTest(what):
                self.stop_processes()
                self.cluster.stop()
                shutil.rmtree(self.work, ignore_errors=True)
                os.makedirs(self.work)
                self.cluster = Cluster(self.work)
                with open(os.path.join(self.work, "join-token"), "w") as f:
                    f.write("chart-rbac-test-token\n")
                with self.assertRaises((Refused, AssertionError), msg=what):
                    self.scenario(reduced)

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
