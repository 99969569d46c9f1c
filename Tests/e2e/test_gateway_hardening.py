"""The gateway against hostile clients and broken or hostile providers (issue: hardening). Each test failed,
crashed or hung the process before its fix; every one ends by checking that the process still serves."""

import concurrent.futures
import json
import socket
import subprocess
import time
import urllib.request

import grpc
import pytest

from conftest import GatewayUnderTest

CONFIG = """
server:
  port: 0
  max_request_bytes: 4194304
auth:
  api_keys: ${{GATEWAY_API_KEYS:-}}
providers:
  - name: ollama
    type: ollama
    endpoint: "{ollama}"
    max_event_bytes: 65536
    max_response_bytes: 1048576
  - name: vllm
    type: openai
    endpoint: "{openai}/v1"
    first_token_timeout_s: 1
  - name: vllm-idle
    type: openai
    endpoint: "{openai}/v1"
    first_token_timeout_s: 10
    idle_timeout_s: 1
  - name: anthropic
    type: anthropic
    endpoint: "{anthropic}"
    api_key: wrong-key
  - name: builtin
    type: builtin
models:
  - {{name: gemma3:4b, provider: ollama}}
  - {{name: echo, provider: builtin}}
  - {{name: slow-first, upstream_model: openai/gpt-oss-20b, provider: vllm}}
  - {{name: slow-first-with-fallback, upstream_model: openai/gpt-oss-20b, provider: vllm, fallbacks: [echo]}}
  - {{name: stalls, upstream_model: openai/gpt-oss-20b, provider: vllm-idle}}
  - {{name: claude-sonnet-4-20250514, provider: anthropic}}
failover:
  strategies: []
  retries: 0
discovery:
  probe_interval_s: 600
"""


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    under_test = GatewayUnderTest(tmp_path_factory.mktemp("hardening"), CONFIG)
    yield under_test
    assert under_test.stop()[0] == 0, "model-gateway must exit 0 on SIGTERM"


def call(gw, method, path, body=None, headers=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(gw.url + path, data=data, method=method, headers=headers or {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read(), time.monotonic() - started


def generate(gw, body, **kwargs):
    status, headers, raw, elapsed = call(gw, "POST", "/api/v1/generate", body, **kwargs)
    return status, headers, raw, elapsed


def sse_events(raw):
    events = []
    for block in raw.decode().split("\n\n"):
        name, data = "message", None
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
        if data is not None:
            events.append((name, data))
    return events


def assert_serves(gw):
    status, _, raw, _ = generate(gw, {"model": "echo", "prompt": "still here"})
    assert status == 200 and json.loads(raw)["content"] == "still here"


def curl(*args):
    return subprocess.run(["curl", "-sS", "-m", "20", *args], capture_output=True, text=True)


# ---- any client, no key needed --------------------------------------------------------------------

@pytest.mark.parametrize("http2", [False, True])
def test_a_huge_grpc_timeout_is_no_deadline_not_a_crash(gw, http2):
    framed = b"\x00\x00\x00\x00\x07\x0a\x05tiny!"  # ListModelsRequest{provider: "tiny!"}
    args = ["--http2-prior-knowledge"] if http2 else []
    result = subprocess.run(
        ["curl", "-sS", "-m", "10", *args, "-o", "/dev/null", "-D", "-", "-H", "content-type: application/grpc",
         "-H", "te: trailers", "-H", "grpc-timeout: 99999999H", "--data-binary", "@-",
         gw.url + "/modelgateway.v1.ModelGateway/ListModels"], input=framed, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert_serves(gw)


def test_a_long_run_of_spaces_does_not_freeze_a_loop(gw):
    prompt = " " * 3_000_000 + "end"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        big = pool.submit(generate, gw, {"model": "echo", "prompt": prompt})
        status, _, raw, elapsed = big.result(timeout=60)
    assert status == 200
    assert json.loads(raw)["tokens_output"] == 1
    assert elapsed < 20, f"a 3 MB prompt of spaces took {elapsed:.1f} s"
    assert_serves(gw)


def test_http1_request_lines_of_another_version_get_505(gw):
    for version in (b"HTTP/2.0", b"HTTP/9.9", b"HTTP/0.9"):
        with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as sock:
            sock.sendall(b"GET /api/v1/health " + version + b"\r\nHost: x\r\n\r\n")
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 505"), (version, answer[:40])
        assert b"x-gateway-overhead-ms" in answer.lower()


def test_grpc_request_ids_are_validated_like_rest(gw, gateway_api):
    pb, rpc = gateway_api
    with grpc.insecure_channel(gw.address) as channel:
        stub = rpc.ModelGatewayStub(channel)
        for bad in ["has spaces in it", "x" * 200]:
            _, call_info = stub.ListModels.with_call(pb.ListModelsRequest(), metadata=[("x-request-id", bad)],
                                                     timeout=10)
            echoed = dict(call_info.initial_metadata())["x-request-id"]
            assert echoed != bad and len(echoed) == 36
        _, call_info = stub.ListModels.with_call(pb.ListModelsRequest(), metadata=[("x-request-id", "ok-id-1")],
                                                 timeout=10)
        assert dict(call_info.initial_metadata())["x-request-id"] == "ok-id-1"
    status, headers, _, _ = call(gw, "GET", "/api/v1/models", headers={"x-request-id": "x" * 200})
    assert status == 200 and len(headers["x-request-id"]) == 36


def test_every_response_carries_the_overhead_header(gw, gateway_api):
    for method, path, body in [("POST", "/api/v1/generate", {"model": "no-such-model", "prompt": "p"}),
                               ("POST", "/api/v1/generate", {"prompt": "p"}),
                               ("GET", "/api/v1/nowhere", None), ("DELETE", "/api/v1/models", None),
                               ("GET", "/metrics", None), ("GET", "/api/v1/health", None)]:
        status, headers, _, _ = call(gw, method, path, body)
        assert "x-gateway-overhead-ms" in {k.lower() for k in headers}, (method, path, status)
    bad = urllib.request.Request(gw.url + "/api/v1/generate", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(bad, timeout=10)
    assert error.value.code == 400 and error.value.headers["x-gateway-overhead-ms"]
    pb, rpc = gateway_api
    with grpc.insecure_channel(gw.address) as channel:
        stub = rpc.ModelGatewayStub(channel)
        with pytest.raises(grpc.RpcError) as failure:
            stub.GetModel(pb.GetModelRequest(name="no-such-model"), timeout=10)
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND
        assert "x-gateway-overhead-ms" in dict(failure.value.initial_metadata() or failure.value.trailing_metadata())


def test_detailed_health_probes_are_shared(gw):
    before = sum(1 for e in gw.fakes["ollama"].log() if e.get("path") == "/api/tags")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: call(gw, "GET", "/api/v1/health/detailed")[0], range(48)))
    assert results == [200] * 48
    probes = sum(1 for e in gw.fakes["ollama"].log() if e.get("path") == "/api/tags") - before
    # 48 callers at once share one round (or two, if a round ended between them); before: one each.
    assert 1 <= probes <= 3, probes


def usage_key_rows(gw, headers=None):
    return json.loads(call(gw, "GET", "/api/v1/usage", headers=headers)[2])["by_key"]


def test_unauthenticated_keys_make_a_bounded_number_of_rows(gw):
    # Authentication off: every bearer value is a "key", and each was a usage row (and a bucket) for ever.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda i: generate(gw, {"model": "echo", "prompt": "k"},
                                                 headers={"authorization": f"Bearer junk-{i}"})[0], range(1200)))
    assert codes == [200] * 1200
    rows = usage_key_rows(gw)
    assert len(rows) <= 1001 and any(row["name"] == "other" for row in rows)


def test_with_keys_on_a_wrong_key_creates_nothing(tmp_path):
    keyed = GatewayUnderTest(tmp_path, CONFIG, env_extra={"GATEWAY_API_KEYS": "right-key"})
    try:
        good = {"authorization": "Bearer right-key"}
        assert generate(keyed, {"model": "echo", "prompt": "p"}, headers=good)[0] == 200
        for i in range(50):
            assert generate(keyed, {"model": "echo", "prompt": "p"}, headers={"authorization": f"Bearer no-{i}"})[0] == 401
        assert len(usage_key_rows(keyed, good)) == 1
    finally:
        assert keyed.stop()[0] == 0


# ---- hostile or broken providers ----------------------------------------------------------------------

def test_a_stream_line_that_never_ends_fails_the_attempt(gw):
    before = gw.server.rss_kib()
    status, _, raw, elapsed = generate(gw, {"model": "gemma3:4b", "prompt": "fault:endless_line", "stream": True})
    assert status == 502, raw
    assert b"65536" in raw  # the configured max_event_bytes
    assert gw.server.rss_kib() - before < 32 * 1024
    assert_serves(gw)


def test_a_huge_non_streamed_body_fails_the_attempt(gw):
    status, _, raw, _ = generate(gw, {"model": "gemma3:4b", "prompt": "fault:huge_body"})
    assert status == 502 and b"exceeded 1048576 bytes" in raw, raw
    assert_serves(gw)


def test_a_response_head_that_never_ends_fails_the_attempt(gw):
    status, _, raw, _ = generate(gw, {"model": "gemma3:4b", "prompt": "fault:endless_head"})
    assert status == 502 and b"response head exceeded" in raw, raw
    assert_serves(gw)


def test_absurd_token_counts_neither_crash_nor_wrap(gw):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(
            lambda i: generate(gw, {"model": "gemma3:4b", "prompt": f"fault:huge_usage {i}"})[0], range(1100)))
    assert statuses == [200] * 1100
    status, _, raw, _ = call(gw, "GET", "/api/v1/usage")
    row = next(r for r in json.loads(raw)["by_model"] if r["name"] == "gemma3:4b")
    assert 0 < row["tokens_input"] <= 2 ** 63 - 1 and row["tokens_output"] > 0
    assert_serves(gw)


def test_a_model_name_with_line_breaks_cannot_break_metrics(tmp_path):
    evil = GatewayUnderTest(tmp_path, CONFIG, fake_models={
        "ollama": ["gemma3:4b", "evil\r\n# TYPE injected counter\r\ninjected 1", "x" * 300]})
    try:
        status, _, raw, _ = call(evil, "GET", "/api/v1/health/detailed")  # discovery
        assert status == 200
        names = [m["name"] for m in json.loads(call(evil, "GET", "/api/v1/models")[2])["models"]]
        assert not any("\r" in name or "\n" in name or len(name) > 256 for name in names), names
        generate(evil, {"model": "gemma3:4b", "prompt": "hi"})
        status, _, raw, _ = call(evil, "GET", "/metrics")
        text = raw.decode()
        assert status == 200 and "\r" not in text
        assert not any(line.startswith("injected") for line in text.split("\n"))
    finally:
        assert evil.stop()[0] == 0


def test_first_token_timeout_counts_content_not_headers(gw):
    # The fake sends its head, a role-only delta and a keep-alive at once, and content only after 3 s.
    status, _, raw, elapsed = generate(gw, {"model": "slow-first", "prompt": "fault:slow_content=3000",
                                            "stream": True})
    assert status == 504, raw
    assert elapsed < 2.8, f"timed out after {elapsed:.1f} s: the head counted as the first token"
    # With a candidate left, the slow first token fails over to it (nothing was sent yet).
    status, _, raw, _ = generate(gw, {"model": "slow-first-with-fallback", "prompt": "fault:slow_content=3000",
                                      "stream": True})
    events = sse_events(raw)
    assert status == 200 and events[-1][1]["done"] and events[-1][1]["model"] == "echo"
    assert events[-1][1]["requested_model"] == "slow-first-with-fallback"


def test_idle_timeout_ends_a_stalled_stream_within_it(gw):
    # first_token_timeout_s 10, idle_timeout_s 1: one token, then nothing for 6 s.
    status, _, raw, elapsed = generate(
        gw, {"model": "stalls", "prompt": "fault:tokens=3 fault:delay=6000", "stream": True})
    events = sse_events(raw)
    assert status == 200 and events[0][1]["content"] == "tok0"
    assert events[-1][0] == "error" and events[-1][1]["error"]["code"] == "provider_timeout"
    assert elapsed < 4, f"the stalled stream ended after {elapsed:.1f} s (idle timeout 1 s)"


def test_a_provider_refusing_the_gateways_key_is_a_502_naming_it(gw):
    status, _, raw, _ = call(gw, "GET", "/api/v1/health/detailed")
    provider = next(p for p in json.loads(raw)["providers"] if p["name"] == "anthropic")
    assert provider["status"] == "down" and "authentication failed" in provider["error"]
    status, _, raw, _ = generate(gw, {"model": "claude-sonnet-4-20250514", "prompt": "hi"})
    body = json.loads(raw)
    assert status == 502 and body["error"]["code"] == "provider_error", body
    assert "authentication failed" in body["error"]["message"]
