"""Failover, retries, circuit breaking, limits, authentication, metrics and logs of the real binary, with
faults injected by the fake providers."""

import concurrent.futures
import json
import re
import subprocess
import time
import urllib.request

import grpc
import pytest

from conftest import GatewayUnderTest

CONFIG = """
server:
  port: 0
auth:
  api_keys: ${{GATEWAY_API_KEYS:-}}
providers:
  - {{name: dead, type: ollama, endpoint: "http://127.0.0.1:9", connect_timeout_s: 1}}
  - {{name: ollama, type: ollama, endpoint: "{ollama}", max_concurrency: 1}}
  - {{name: ollama-b, type: ollama, endpoint: "{ollama_cpu}", rate_limit: {{requests_per_minute: 2}}}}
  - {{name: vllm, type: openai, endpoint: "{openai}/v1"}}
  - {{name: anthropic, type: anthropic, endpoint: "{anthropic}", api_key: test-key}}
models:
  - {{name: small-a, provider: dead, tier: small, fallbacks: [dead-fallback]}}
  - {{name: dead-fallback, provider: dead}}
  - {{name: gemma3:12b, provider: ollama, tier: small, pricing: {{input_per_mtok: 2, output_per_mtok: 4}}}}
  - {{name: tiny-a, provider: dead, tier: tiny}}
  - {{name: claude-sonnet-4-20250514, providers: [dead, anthropic], tier: frontier}}
  - {{name: openai/gpt-oss-20b, provider: vllm, tier: large, rate_limit: {{requests_per_minute: 3}}}}
  - {{name: limited, upstream_model: gemma3:12b, provider: ollama-b}}
rate_limits:
  per_key: {{requests_per_minute: 3}}
failover:
  strategies: [same_tier, tier_up, provider_fallback]
  retries: 1
  circuit_breaker: {{failure_threshold: 3, cooldown_s: 1.5}}
discovery:
  probe_interval_s: 600
"""


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    under_test = GatewayUnderTest(tmp_path_factory.mktemp("resilience"), CONFIG)
    yield under_test
    assert under_test.stop()[0] == 0


def post(gw, body, headers=None):
    request = urllib.request.Request(gw.url + "/api/v1/generate", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def metric(gw, name, **labels):
    text = urllib.request.urlopen(gw.url + "/metrics", timeout=5).read().decode()
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_explicit_fallback_then_same_tier(gw):
    urllib.request.urlopen(gw.url + "/api/v1/health/detailed", timeout=10)  # probe now: `dead` is known down
    status, _, body = post(gw, {"model": "small-a", "prompt": "route me"})
    assert status == 200, body
    assert (body["model"], body["provider"], body["requested_model"]) == ("gemma3:12b", "ollama", "small-a")
    assert body["content"] == "Echo: route me"
    # `dead` failed its probe, so the request went straight past small-a and dead-fallback.
    assert metric(gw, "gateway_failovers_total", **{"from": "small-a", "to": "gemma3:12b"}) >= 1


def test_tier_up(gw):
    status, _, body = post(gw, {"model": "tiny-a", "prompt": "up we go"})
    assert status == 200 and body["model"] == "gemma3:12b" and body["requested_model"] == "tiny-a"


def test_provider_fallback(gw):
    status, _, body = post(gw, {"model": "claude-sonnet-4-20250514", "prompt": "other provider"})
    assert status == 200 and (body["model"], body["provider"]) == ("claude-sonnet-4-20250514", "anthropic")
    assert "requested_model" not in body


def test_streams_fail_over_before_the_first_byte(gw):
    out = subprocess.run(["curl", "-sN", gw.url + "/api/v1/generate", "-d",
                          json.dumps({"model": "small-a", "prompt": "stream over", "stream": True})],
                         capture_output=True, text=True, timeout=30).stdout
    chunks = [json.loads(e.removeprefix("data: ")) for e in out.split("\n\n") if e]
    assert {c["model"] for c in chunks} == {"gemma3:12b"}
    assert "".join(c["content"] for c in chunks) == "Echo: stream over"
    assert chunks[-1]["requested_model"] == "small-a"


def test_a_transient_500_is_retried(gw):
    fake = gw.fakes["openai"]
    before = len([e for e in fake.log() if e["event"] == "request"])
    status, _, body = post(gw, {"model": "openai/gpt-oss-20b", "prompt": "flaky fault:fail_first=1"})
    assert status == 200 and body["content"] == "Echo: flaky fault:fail_first=1"
    assert len([e for e in fake.log() if e["event"] == "request"]) - before == 2


def test_circuit_opens_after_repeated_failures_and_closes_after_the_cooldown(gw):
    fake = gw.fakes["anthropic"]
    requests = lambda: len([e for e in fake.log() if e["event"] == "request"])
    for _ in range(2):  # each request is tried twice (one retry): 4 failures > threshold 3
        assert post(gw, {"model": "claude-sonnet-4-20250514", "prompt": "fault:http500"})[0] == 502
    seen = requests()
    status, _, body = post(gw, {"model": "claude-sonnet-4-20250514", "prompt": "while open"})
    assert status == 503, body
    assert requests() == seen, "an open circuit must not send traffic"
    health = json.loads(urllib.request.urlopen(gw.url + "/api/v1/health/detailed", timeout=5).read())
    assert {p["name"]: p["status"] for p in health["providers"]}["anthropic"] == "down"
    assert metric(gw, "gateway_provider_up", provider="anthropic") == 0
    time.sleep(1.6)  # the configured cool-down: the next call is the half-open probe
    status, _, body = post(gw, {"model": "claude-sonnet-4-20250514", "prompt": "after cooldown"})
    assert status == 200 and body["content"] == "Echo: after cooldown"
    assert post(gw, {"model": "claude-sonnet-4-20250514", "prompt": "closed again"})[0] == 200


def test_model_rate_limit_answers_429_with_retry_after(gw):
    codes = [post(gw, {"model": "openai/gpt-oss-20b", "prompt": f"rl {i}"}) for i in range(5)]
    limited = [c for c in codes if c[0] == 429]
    assert limited, [c[0] for c in codes]
    status, headers, body = limited[0]
    assert int(headers["retry-after"]) >= 1 and body["error"]["code"] == "rate_limited"


def test_provider_rate_limit(gw):
    codes = [post(gw, {"model": "limited", "prompt": f"p {i}"})[0] for i in range(4)]
    assert codes[:2] == [200, 200] and 429 in codes[2:]


def test_provider_concurrency_limit_holds(gw):
    fake = gw.fakes["ollama"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: post(gw, {"model": "gemma3:12b", "prompt": f"c{i} fault:slow_first=150"}), range(8)))
    codes = sorted(r[0] for r in results)
    assert codes.count(200) >= 5 and set(codes) <= {200, 429}
    stats = json.loads(urllib.request.urlopen(fake.url + "/_fake/stats", timeout=5).read())
    assert stats["peak_in_flight"] == 1


def test_metrics_and_usage_equal_what_the_fakes_reported(gw):
    before_tokens = metric(gw, "gateway_tokens_total", model="gemma3:12b", provider="ollama", kind="completion")
    before_cost = metric(gw, "gateway_cost_usd_total", model="gemma3:12b", provider="ollama")
    status, headers, body = post(gw, {"model": "gemma3:12b", "prompt": "one two three"})
    assert status == 200 and float(headers["x-gateway-overhead-ms"]) >= 0
    assert metric(gw, "gateway_tokens_total", model="gemma3:12b", provider="ollama", kind="completion") - before_tokens == 4
    assert metric(gw, "gateway_cost_usd_total", model="gemma3:12b", provider="ollama") - before_cost == \
        pytest.approx((3 * 2 + 4 * 4) / 1e6)
    assert metric(gw, "gateway_requests_total", method="generate", model="gemma3:12b", code="ok") >= 1
    assert metric(gw, "gateway_overhead_seconds_count", method="generate") >= 1
    assert metric(gw, "gateway_request_duration_seconds_count", method="generate") >= 1
    assert metric(gw, "gateway_provider_up", provider="vllm") == 1
    text = urllib.request.urlopen(gw.url + "/metrics", timeout=5).read().decode()
    for name, kind in [("gateway_requests_total", "counter"), ("gateway_request_duration_seconds", "histogram"),
                       ("gateway_time_to_first_token_seconds", "histogram"), ("gateway_tokens_total", "counter"),
                       ("gateway_cost_usd_total", "counter"), ("gateway_inflight_requests", "gauge"),
                       ("gateway_provider_up", "gauge"), ("gateway_failovers_total", "counter"),
                       ("gateway_overhead_seconds", "histogram")]:
        assert f"# TYPE {name} {kind}" in text
    assert re.search(r'gateway_overhead_seconds_bucket\{method="generate",le="\+Inf"\} \d+', text)
    usage = json.loads(urllib.request.urlopen(gw.url + "/api/v1/usage", timeout=5).read())
    row = next(r for r in usage["by_model"] if r["name"] == "gemma3:12b")
    assert row["tokens_output"] == metric(gw, "gateway_tokens_total", model="gemma3:12b", kind="completion")


def test_inflight_gauge_counts_an_open_stream(gw):
    before = metric(gw, "gateway_inflight_requests")
    request = urllib.request.Request(
        gw.url + "/api/v1/generate", headers={"content-type": "application/json"},
        data=json.dumps({"model": "gemma3:12b", "prompt": "fault:tokens=40 fault:delay=20", "stream": True}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.readline().startswith(b"data: ")  # the stream is open and answering
        assert metric(gw, "gateway_inflight_requests") == before + 1
        response.read()
    deadline = time.monotonic() + 5
    while metric(gw, "gateway_inflight_requests") != before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert metric(gw, "gateway_inflight_requests") == before


def test_one_json_log_line_per_request_without_secrets(gw):
    post(gw, {"model": "gemma3:12b", "prompt": "log me"}, {"x-request-id": "log-req-1", "authorization": "Bearer sekret"})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [l for l in gw.server.logs() if l.get("request_id") == "log-req-1"]
        if lines:
            break
        time.sleep(0.02)
    assert len(lines) == 1
    line = lines[0]
    assert (line["msg"], line["method"], line["model"], line["provider"], line["status"]) == \
        ("request", "generate", "gemma3:12b", "ollama", "ok")
    assert line["tokens_input"] == 2 and line["tokens_output"] == 3 and line["latency_ms"] >= line["overhead_ms"] >= 0
    assert "sekret" not in open(gw.server.log_file.name).read()


def test_a_stream_that_failed_before_its_first_token_logs_one_line_and_leaves_nothing_in_flight(gw):
    """The provider answers 200, then errors before any text: the attempt's relay is dropped unreported and the
    request reports once, as failed (an attempt reporting on its own logged extra lines and drove the
    in-flight gauge below zero)."""
    before = metric(gw, "gateway_inflight_requests")
    out = subprocess.run(["curl", "-sN", "-o", "/dev/null", "-w", "%{http_code}", gw.url + "/api/v1/generate",
                          "-H", "x-request-id: log-early-error-1", "-d",
                          json.dumps({"model": "gemma3:12b", "prompt": "fault:error_after=0", "stream": True})],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert out[0] in "45"  # which error depends on where failover ends; the point is that it is one
    # The request's own line is written after anything its attempts wrote, and before its answer was sent.
    deadline = time.monotonic() + 5
    lines = []
    while time.monotonic() < deadline and not any(l.get("status") != "cancelled" for l in lines):
        lines = [l for l in gw.server.logs() if l.get("request_id") == "log-early-error-1"]
        time.sleep(0.02)
    assert len(lines) == 1 and lines[0]["method"] == "stream_generate" and lines[0]["status"] != "ok", lines
    assert metric(gw, "gateway_inflight_requests") == before


def test_sigterm_lets_an_in_flight_provider_stream_finish(tmp_path_factory):
    """The provider call runs on the client's event loop (curl's sockets in its epoll set): draining must keep
    that loop turning until the relayed stream has ended, and then exit 0."""
    gw = GatewayUnderTest(tmp_path_factory.mktemp("drain"), CONFIG)
    client = subprocess.Popen(
        ["curl", "-sN", gw.url + "/api/v1/generate", "-d",
         json.dumps({"model": "gemma3:12b", "prompt": "fault:tokens=10 fault:delay=100", "stream": True})],
        stdout=subprocess.PIPE)
    try:
        first = client.stdout.readline()
        assert first.startswith(b"data: ")
        code, _ = gw.stop()
        rest, _ = client.communicate(timeout=15)
    finally:
        client.kill()
    lines = (first + rest).decode().splitlines()
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]
    assert code == 0
    assert not any(line.startswith("event: error") for line in lines)
    assert "".join(c["content"] for c in chunks).split() == [f"tok{i}" for i in range(10)]
    assert chunks[-1]["done"] is True and chunks[-1]["finish_reason"] == "stop"


def test_per_key_rate_limit_counts_each_key_apart(tmp_path_factory):
    gw = GatewayUnderTest(tmp_path_factory.mktemp("perkey"), CONFIG, env_extra={"GATEWAY_API_KEYS": "k-a,k-b"})
    try:
        first = [post(gw, {"model": "gemma3:12b", "prompt": f"a{i}"}, {"authorization": "Bearer k-a"})[0] for i in range(4)]
        assert first == [200, 200, 200, 429]
        assert post(gw, {"model": "gemma3:12b", "prompt": "b"}, {"authorization": "Bearer k-b"})[0] == 200
    finally:
        gw.stop()


def test_api_keys_guard_everything_but_health_and_metrics(tmp_path_factory, stubs):
    gw = GatewayUnderTest(tmp_path_factory.mktemp("auth"), CONFIG, env_extra={"GATEWAY_API_KEYS": "k-one,k-two"})
    try:
        status, headers, body = post(gw, {"model": "gemma3:12b", "prompt": "x"})
        assert status == 401 and body["error"]["code"] == "unauthenticated"
        assert body["error"]["request_id"] == headers["x-request-id"]
        assert post(gw, {"model": "gemma3:12b", "prompt": "x"}, {"authorization": "Bearer wrong"})[0] == 401
        assert post(gw, {"model": "gemma3:12b", "prompt": "x"}, {"authorization": "Bearer k-two"})[0] == 200
        for path in ["/api/v1/health", "/api/v1/health/detailed", "/metrics"]:
            assert urllib.request.urlopen(gw.url + path, timeout=5).status == 200
        pb, rpc = stubs.module("modelgateway.v1.gateway_pb2"), stubs.module("modelgateway.v1.gateway_pb2_grpc")
        with grpc.insecure_channel(gw.address) as channel:
            stub = rpc.ModelGatewayStub(channel)
            with pytest.raises(grpc.RpcError) as failure:
                stub.Generate(pb.GenerateRequest(model="gemma3:12b", prompt="x"), timeout=5)
            assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
            ok = stub.Generate(pb.GenerateRequest(model="gemma3:12b", prompt="x"), timeout=5,
                               metadata=[("authorization", "Bearer k-one")])
            assert ok.content == "Echo: x"
            assert stub.Health(pb.HealthRequest(), timeout=5).version
        assert "k-one" not in open(gw.server.log_file.name).read()
    finally:
        gw.stop()
