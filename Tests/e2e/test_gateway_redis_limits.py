"""Rate limits shared through a real Redis (Debian's redis-server on loopback) by two gateway replicas."""

import json
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import GatewayUnderTest

CONFIG = """
server:
  port: 0
providers:
  - {{name: ollama, type: ollama, endpoint: "{ollama}"}}
models:
  - {{name: shared, upstream_model: gemma3:4b, provider: ollama, rate_limit: {{requests_per_minute: 3}}}}
rate_limits:
  redis_url: ${{REDIS_URL}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis():
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is missing: make install provides it")
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:  # readiness: PING answered
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.02)
    yield f"redis://127.0.0.1:{port}"
    process.kill()
    process.wait()


def status_of(gw, prompt):
    request = urllib.request.Request(gw.url + "/api/v1/generate", data=json.dumps({"model": "shared", "prompt": prompt}).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_replicas_share_one_budget(redis, tmp_path_factory):
    first = GatewayUnderTest(tmp_path_factory.mktemp("a"), CONFIG, env_extra={"REDIS_URL": redis})
    second = GatewayUnderTest(tmp_path_factory.mktemp("b"), CONFIG, env_extra={"REDIS_URL": redis})
    try:
        codes = [status_of(first, "1"), status_of(second, "2"), status_of(first, "3"), status_of(second, "4")]
        assert codes == [200, 200, 200, 429], codes
    finally:
        first.stop()
        second.stop()


def test_an_unreachable_redis_fails_open_with_a_warning(tmp_path_factory):
    gw = GatewayUnderTest(tmp_path_factory.mktemp("c"), CONFIG, env_extra={"REDIS_URL": f"redis://127.0.0.1:{free_port()}"})
    try:
        assert [status_of(gw, str(i)) for i in range(4)] == [200] * 4
        assert any(line["level"] == "warn" and "rate limit store" in line["msg"] for line in gw.server.logs())
    finally:
        gw.stop()


def test_a_black_holed_redis_costs_each_request_a_bounded_wait(tmp_path_factory):
    # Connections complete (the kernel's backlog) but nothing is ever read or answered.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(1024)
    url = f"redis://127.0.0.1:{hole.getsockname()[1]}"
    gw = GatewayUnderTest(tmp_path_factory.mktemp("hole"), CONFIG.replace("rate_limits:", "rate_limits:\n  redis_timeout_ms: 100"),
                          env_extra={"REDIS_URL": url})
    try:
        import concurrent.futures
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(lambda i: status_of(gw, f"hole {i}"), range(40)))
        elapsed = time.monotonic() - started
        assert codes == [200] * 40
        # Before: one serial connection, 1 s per command, decided only at the queue's head (40 s and more).
        assert elapsed < 8, f"40 requests took {elapsed:.1f} s against a black-holed Redis"
        metrics = urllib.request.urlopen(gw.url + "/metrics", timeout=5).read().decode()
        failures = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                       if line.startswith("gateway_rate_limit_store_failures_total{"))
        assert failures >= 40
        warnings = [line for line in gw.server.logs() if line["level"] == "warn" and "rate limit store" in line["msg"]]
        assert 1 <= len(warnings) <= 5, "one warning per interval, not one per request"
    finally:
        gw.stop()
        hole.close()
