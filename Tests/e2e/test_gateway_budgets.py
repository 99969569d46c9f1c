"""Named keys' budgets (contract §9): checked before the provider is called, settled with each request's real
usage, 429 budget_exceeded with retry-after to the end of the period — per process, and shared by replicas
through Redis."""

import json
import time
import urllib.error
import urllib.request

import grpc
import pytest

from conftest import GatewayUnderTest
from test_gateway_redis_limits import redis  # noqa: F401 (the fixture)

CONFIG = """
server: {{port: 0}}
auth:
  keys:
    - {{name: tight, key: sk-tight, budget: {{tokens_per_month: 12}}}}
    - {{name: dollars, key: sk-usd, budget: {{usd_per_day: 0.00001}}}}
    - {{name: free, key: sk-free}}
providers:
  - {{name: ollama, type: ollama, endpoint: "{ollama}"}}
models:
  - {{name: "gemma3:4b", provider: ollama, aliases: [tiny], pricing: {{input_per_mtok: 1.0, output_per_mtok: 1.0}}}}
rate_limits:
  redis_url: ${{REDIS_URL:-}}
discovery: {{probe_interval_s: 60}}
"""


def call(gw, key, prompt="one two three"):
    request = urllib.request.Request(gw.url + "/api/v1/generate", headers={"authorization": f"Bearer {key}"},
                                     data=json.dumps({"model": "tiny", "prompt": prompt}).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), dict(error.headers)


def until_refused(gw, key, attempts=20):
    """Calls until the key is refused (settling is asynchronous); returns the refusal."""
    for _ in range(attempts):
        status, body, headers = call(gw, key)
        if status == 429:
            return body, headers
        time.sleep(0.05)
    raise AssertionError(f"{key} was never refused")


@pytest.fixture()
def gw(tmp_path):
    under_test = GatewayUnderTest(tmp_path, CONFIG, env_extra={"REDIS_URL": ""}, fake_models={"ollama": ["gemma3:4b"]})
    yield under_test
    under_test.stop()


def test_a_token_budget_refuses_the_key_until_the_month_ends(gw, gateway_api):
    status, answer, _ = call(gw, "sk-tight")
    assert status == 200 and answer["tokens_input"] + answer["tokens_output"] >= 6
    body, headers = until_refused(gw, "sk-tight")
    assert body["error"]["code"] == "budget_exceeded"
    assert 0 < int(headers["retry-after"]) <= 31 * 86400
    assert call(gw, "sk-free")[0] == 200, "other keys are not affected"
    before = len([e for e in gw.fakes["ollama"].log() if e.get("path") == "/api/generate"])
    assert call(gw, "sk-tight")[0] == 429
    after = len([e for e in gw.fakes["ollama"].log() if e.get("path") == "/api/generate"])
    assert after == before, "a refused request must not reach the provider"
    pb, rpc = gateway_api
    with grpc.insecure_channel(gw.address) as channel:
        with pytest.raises(grpc.RpcError) as failure:
            rpc.ModelGatewayStub(channel).Generate(pb.GenerateRequest(model="tiny", prompt="x"),
                                                   metadata=[("authorization", "Bearer sk-tight")], timeout=10)
    assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_dollar_budget_refuses_until_the_day_ends(gw):
    assert call(gw, "sk-usd")[0] == 200
    body, headers = until_refused(gw, "sk-usd")
    assert "today" in body["error"]["message"] and 0 < int(headers["retry-after"]) <= 86400


def test_a_stream_cut_short_is_settled_too(gw):
    request = urllib.request.Request(gw.url + "/api/v1/generate", headers={"authorization": "Bearer sk-tight"},
                                     data=json.dumps({"model": "tiny", "stream": True,
                                                      "prompt": "fault:tokens=20 fault:error_after=15"}).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        assert b"event: error" in response.read()
    body, _ = until_refused(gw, "sk-tight")
    assert body["error"]["code"] == "budget_exceeded"


def test_replicas_share_one_budget_through_redis(redis, tmp_path_factory):  # noqa: F811
    first = GatewayUnderTest(tmp_path_factory.mktemp("a"), CONFIG, env_extra={"REDIS_URL": redis},
                             fake_models={"ollama": ["gemma3:4b"]})
    second = GatewayUnderTest(tmp_path_factory.mktemp("b"), CONFIG, env_extra={"REDIS_URL": redis},
                              fake_models={"ollama": ["gemma3:4b"]})
    try:
        assert call(first, "sk-tight")[0] == 200
        body, _ = until_refused(second, "sk-tight")  # spent on the first replica, refused on the second
        assert body["error"]["code"] == "budget_exceeded"
        assert call(first, "sk-tight")[0] == 429
    finally:
        first.stop()
        second.stop()
