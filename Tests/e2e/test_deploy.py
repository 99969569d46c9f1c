"""deploy/: the compose file and the Kubernetes manifests validated (no container engine runs here), and the
release binary run the way the image runs it — its entrypoint and command, environment, config path, a
non-root user, and the image's own health check."""

import json
import os
import pathlib
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from conftest import RunningServer

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
MANIFESTS = sorted(p for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")
RELEASE = ROOT / ".build" / "release" / "model-gateway"
VALIDATE = pathlib.Path(sys.executable).parent / "kubernetes-validate"


def documents(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def resource(kind, name):
    for path in MANIFESTS:
        for doc in documents(path):
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name}")


def test_the_compose_file_is_valid():
    assert shutil.which("docker-compose"), "make test installs docker-compose"
    result = subprocess.run(["docker-compose", "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert {"gateway", "redis", "jaeger"} <= set(services) and services["redis"]["profiles"] == ["full"]


def test_the_kubernetes_manifests_follow_the_kubernetes_schemas(tmp_path):
    result = subprocess.run([str(VALIDATE), "--strict", *map(str, MANIFESTS)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # The validator can fail: a Deployment with a field Kubernetes does not know.
    broken = tmp_path / "broken.yaml"
    broken.write_text((DEPLOY / "k8s" / "deployment.yaml").read_text().replace("replicas: 2", "replicaz: 2"))
    assert subprocess.run([str(VALIDATE), "--strict", str(broken)], capture_output=True, timeout=120).returncode != 0
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in MANIFESTS if p.name != "secret.example.yaml")


def test_the_deployment_drains_before_it_is_killed(tmp_path):
    deployment = resource("Deployment", "model-gateway")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    config = yaml.safe_load(resource("ConfigMap", "model-gateway-config")["data"]["model-gateway.yaml"])
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pod["terminationGracePeriodSeconds"] > config["server"]["drain_timeout_s"] + pause
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/api/v1/health"
    assert pod["securityContext"]["runAsNonRoot"] is True
    service = resource("Service", "model-gateway")
    assert service["spec"]["ports"][0]["appProtocol"] and service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert resource("PodDisruptionBudget", "model-gateway")["spec"]["selector"] == deployment["spec"]["selector"]
    secrets = {e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"] if "valueFrom" in e}
    assert secrets == set(documents(DEPLOY / "k8s" / "secret.example.yaml")[0]["stringData"])


def test_the_configmaps_configuration_is_valid(tmp_path):
    path = tmp_path / "model-gateway.yaml"
    path.write_text(resource("ConfigMap", "model-gateway-config")["data"]["model-gateway.yaml"])
    binary = RELEASE if RELEASE.exists() else ROOT / ".build" / "debug" / "model-gateway"
    result = subprocess.run([str(binary), "--check-config", "--config", str(path)], capture_output=True, text=True,
                            timeout=30, env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stdout + result.stderr


def dockerfile():
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    runtime = text.split("FROM debian:bookworm-slim", 1)[1]
    env = dict(re.findall(r"(\w+)=(\S+)", re.search(r"^ENV (.*)$", runtime, re.M).group(1)))
    return {
        "entrypoint": yaml.safe_load(re.search(r"^ENTRYPOINT (.*)$", runtime, re.M).group(1)),
        "cmd": yaml.safe_load(re.search(r"^CMD (.*)$", runtime, re.M).group(1)),
        "env": env, "user": int(re.search(r"^USER (\d+)$", runtime, re.M).group(1)),
        "expose": int(re.search(r"^EXPOSE (\d+)$", runtime, re.M).group(1)),
        "healthcheck": re.search(r"^HEALTHCHECK .*? CMD (.*)$", runtime, re.M).group(1),
        "packages": set(re.search(r"apt-get install -y --no-install-recommends (.*?)&&", runtime).group(1).split()),
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# In debian:bookworm-slim without installing anything: libc6, and what apt itself needs.
SLIM_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}


def test_the_image_installs_every_library_the_release_binary_needs():
    assert RELEASE.exists(), "make test-e2e builds the release binary"
    dynamic = subprocess.run(["readelf", "-d", str(RELEASE)], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)
    assert "libcurl.so.4" in needed and "libmimalloc.so.2" in needed
    installed = dockerfile()["packages"]
    for library in needed:
        owner = subprocess.run(["dpkg", "-S", f"*/{library}"], capture_output=True, text=True).stdout
        packages = {line.split(":")[0] for line in owner.splitlines()}
        assert packages & (installed | SLIM_PACKAGES), f"{library} (from {packages or 'no package'}) is not in the image"


def test_the_release_binary_runs_as_the_image_runs_it():
    assert RELEASE.exists(), "make test-e2e builds the release binary"
    image = dockerfile()
    assert image["user"] != 0 and image["expose"] == 8000 and image["env"]["SERVICE_PORT"] == "8000"
    # The image's config path and default port, moved to a directory its user can read and to a free port.
    etc = pathlib.Path(tempfile.mkdtemp(prefix="model-gateway-etc-"))
    os.chmod(etc, 0o755)
    config = etc / "model-gateway.yaml"
    shutil.copy(ROOT / "config" / "model-gateway.yaml", config)
    os.chmod(config, 0o644)
    port = free_port()
    env = {"PATH": os.environ["PATH"], "MODEL_GATEWAY_CONFIG": str(config), "SERVICE_PORT": str(port)}
    argv = [str(RELEASE)] + image["cmd"][:]
    argv[argv.index("0.0.0.0")] = "127.0.0.1"  # loopback only in tests
    preexec = (lambda: os.setuid(image["user"])) if os.geteuid() == 0 else None
    server = RunningServer(argv, env=env, preexec=preexec)
    try:
        assert server.port == port
        check = subprocess.run(["sh", "-c", image["healthcheck"]], env={**env, "PATH": os.environ["PATH"]},
                               capture_output=True, text=True, timeout=10)
        assert check.returncode == 0, check.stderr
        assert '"status"' in check.stdout
    finally:
        code, _ = server.stop()
        shutil.rmtree(etc)
    assert code == 0


def test_the_release_binary_allocates_with_mimalloc_and_gives_large_bodies_back():
    """Release builds link mimalloc, told to return freed pages at once: with its default delays, 24 answers
    of 3 MB left ~40 MiB resident on loops that had nothing more to allocate."""
    assert RELEASE.exists(), "make test-e2e builds the release binary"
    server = RunningServer([str(RELEASE), "--config", str(ROOT / "config" / "model-gateway.yaml"), "--host",
                            "127.0.0.1", "--port", "0"], env={"PATH": os.environ["PATH"], "LOG_LEVEL": "warn"})

    def echo(prompt):
        request = urllib.request.Request(server.url + "/api/v1/generate", method="POST",
                                         data=json.dumps({"model": "echo", "prompt": prompt}).encode(),
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return len(response.read())

    try:
        assert "libmimalloc" in pathlib.Path(f"/proc/{server.pid}/maps").read_text()
        echo("warm up")
        before = server.rss_kib()
        with ThreadPoolExecutor(4) as pool:
            sizes = list(pool.map(echo, ["x" * 3_000_000] * 24))
        assert min(sizes) > 3_000_000
        grown = server.rss_kib() - before
    finally:
        code, _ = server.stop()
    assert grown < 16 * 1024, f"RSS stayed {grown} KiB above where it was before the large answers"
    assert code == 0
