"""Usage shared by replicas through a real Redis (contract §9): the fleet's totals are the sum of what every
replica counted, an outage of Redis loses nothing (batches wait and go when it is back), and SIGTERM writes
what is pending before the process exits."""

import json
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import GatewayUnderTest
from test_gateway_redis_limits import free_port
from test_gateway_rest import check

CONFIG = """
server: {{port: 0}}
providers:
  - {{name: ollama, type: ollama, endpoint: "{ollama}"}}
models:
  - {{name: "gemma3:4b", provider: ollama, aliases: [tiny]}}
rate_limits:
  redis_url: ${{REDIS_URL}}
discovery: {{probe_interval_s: 60}}
"""


class Redis:
    """A redis-server on loopback that can be stopped and started again on the same port, keeping its data
    (append-only file, fsync always) as a real deployment's Redis would across a restart."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}"
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture()
def redis(tmp_path):
    server = Redis(tmp_path)
    yield server
    server.stop()


def generate(gw, prompt="one two three"):
    request = urllib.request.Request(gw.url + "/api/v1/generate",
                                     data=json.dumps({"model": "tiny", "prompt": prompt}).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def usage(gw):
    with urllib.request.urlopen(gw.url + "/api/v1/usage", timeout=10) as response:
        return json.load(response)


def eventually(check, seconds=6):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def replica(tmp_path_factory, redis, name):
    return GatewayUnderTest(tmp_path_factory.mktemp(name), CONFIG, env_extra={"REDIS_URL": redis.url},
                            fake_models={"ollama": ["gemma3:4b"]})


def test_the_fleets_usage_is_the_sum_of_its_replicas(redis, tmp_path_factory):
    first, second, third = (replica(tmp_path_factory, redis, name) for name in "abf")
    try:
        answers = [generate(first) for _ in range(3)] + [generate(second) for _ in range(2)]
        answers.append(generate(third, "a b"))
        tokens = sum(a["tokens_input"] for a in answers)
        report = eventually(lambda: (lambda u: u if u["totals"]["requests"] == 6 else None)(usage(first)))
        assert report, usage(first)
        check("UsageResponse", report)
        assert report["totals"]["tokens_input"] == tokens
        assert report["replica"]["requests"] == 3, "this replica's own totals beside the fleet's"
        assert {row["name"]: row["requests"] for row in report["by_model"]} == {"gemma3:4b": 6}
        assert usage(second)["replica"]["requests"] == 2
    finally:
        for gw in (first, second, third):
            gw.stop()


def test_an_outage_of_redis_loses_no_usage(redis, tmp_path_factory):
    gw = replica(tmp_path_factory, redis, "c")
    try:
        for _ in range(2):
            generate(gw)
        assert eventually(lambda: usage(gw)["totals"]["requests"] == 2)
        redis.stop()
        for _ in range(3):
            generate(gw)  # served while Redis is away; their usage waits
        assert usage(gw)["replica"]["requests"] == 5
        redis.start()
        assert eventually(lambda: usage(gw)["totals"]["requests"] == 5), usage(gw)
    finally:
        gw.stop()


def test_sigterm_writes_what_is_pending(redis, tmp_path_factory):
    gw = replica(tmp_path_factory, redis, "d")
    for _ in range(3):
        generate(gw)
    code, _ = gw.stop()  # right away: within the one-second batch
    assert code == 0
    later = replica(tmp_path_factory, redis, "e")
    try:
        report = usage(later)
        assert report["totals"]["requests"] == 3 and report["replica"]["requests"] == 0
    finally:
        later.stop()
