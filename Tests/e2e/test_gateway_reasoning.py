"""Reasoning, prompt-cache usage and sampling extras (contract §10) through every provider kind, over REST
and gRPC, streamed and not, and through the compatible front doors' SDKs."""

import base64
import json
import urllib.request

import anthropic
import grpc
import openai
import pytest

from conftest import GatewayUnderTest
from test_gateway_rest import check, curl

pytestmark = pytest.mark.contract

CONFIG = """
server: {{port: 0, max_request_bytes: 65536}}
providers:
  - {{name: ollama, type: ollama, endpoint: "{ollama}"}}
  - {{name: vllm, type: openai, endpoint: "{openai}/v1"}}
  - {{name: anthropic, type: anthropic, endpoint: "{anthropic}", api_key: test-key}}
  - {{name: builtin, type: builtin}}
models:
  - {{name: "qwen3:8b", provider: ollama, aliases: [o]}}
  - {{name: openai/gpt-oss-20b, provider: vllm, aliases: [g]}}
  - {{name: deepseek-r1, provider: vllm, aliases: [d]}}
  - name: claude-sonnet-4-20250514
    provider: anthropic
    aliases: [c]
    pricing: {{input_per_mtok: 3.0, output_per_mtok: 15.0, cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75}}
failover: {{strategies: []}}
discovery: {{probe_interval_s: 60}}
"""

KINDS = {"o": "ollama", "g": "openai", "d": "openai", "c": "anthropic"}
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}}


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    under_test = GatewayUnderTest(
        tmp_path_factory.mktemp("reasoning"), CONFIG,
        fake_models={"ollama": ["qwen3:8b"], "openai": ["openai/gpt-oss-20b", "deepseek-r1"],
                     "anthropic": ["claude-sonnet-4-20250514"], "ollama_cpu": []})
    yield under_test
    under_test.stop()


def generate(gw, body):
    status, _, payload = curl(gw, "POST", "/api/v1/generate", body)
    return status, json.loads(payload)


def stream(gw, body):
    status, _, payload = curl(gw, "POST", "/api/v1/generate", {**body, "stream": True})
    assert status == 200, payload
    return [json.loads(line[6:]) for line in payload.split("\n") if line.startswith("data: ")]


def sent(gw, model, path):
    kind = KINDS[model]
    return [e for e in gw.fakes[kind].log() if e.get("path") == path][-1]["body"]


@pytest.mark.parametrize("model", list(KINDS))
def test_reasoning_is_returned_apart_from_the_content(gw, model):
    status, answer = generate(gw, {"model": model, "messages": [{"role": "user", "content": "why?"}],
                                   "reasoning": {"effort": "low", "include": True}})
    assert status == 200, answer
    check("GenerateResponse", answer)
    assert answer["content"] == "Echo: why?", "reasoning leaked into the content"
    assert "".join(part["text"] for part in answer["reasoning"]) == "Thinking about why?."
    if KINDS[model] == "anthropic":
        assert answer["reasoning"][0]["signature"].startswith("sig-")
    if KINDS[model] == "openai":
        assert answer["tokens_reasoning"] == 4 and answer["tokens_output"] == 2 + 4


@pytest.mark.parametrize("model", list(KINDS))
def test_reasoning_not_included_is_counted_but_not_returned(gw, model):
    status, answer = generate(gw, {"model": model, "messages": [{"role": "user", "content": "why?"}],
                                   "reasoning": {"effort": "medium"}})
    assert status == 200 and "reasoning" not in answer and answer["content"] == "Echo: why?"
    if KINDS[model] == "openai":
        assert answer["tokens_reasoning"] == 4


@pytest.mark.parametrize("model", list(KINDS))
def test_streamed_reasoning_comes_first_and_apart(gw, model):
    chunks = stream(gw, {"model": model, "messages": [{"role": "user", "content": "why?"}],
                         "reasoning": {"effort": "high", "include": True}})
    for chunk in chunks:
        check("GenerateChunk", chunk)
    reasoning = [c["reasoning"] for c in chunks if "reasoning" in c]
    assert "".join(r["text"] for r in reasoning) == "Thinking about why?."
    first_content = next(i for i, c in enumerate(chunks) if c["content"])
    assert max(i for i, c in enumerate(chunks) if "reasoning" in c) < first_content
    assert "".join(c["content"] for c in chunks) == "Echo: why?"
    if KINDS[model] == "anthropic":
        assert reasoning[-1]["signature"].startswith("sig-"), "the signature comes on the block's last delta"
    hidden = stream(gw, {"model": model, "messages": [{"role": "user", "content": "why?"}], "reasoning": {"effort": "low"}})
    assert not any("reasoning" in c for c in hidden)


def test_each_provider_gets_its_own_reasoning_fields(gw):
    generate(gw, {"model": "g", "prompt": "x", "reasoning": {"effort": "high"}, "seed": 42, "top_k": 20})
    body = sent(gw, "g", "/v1/chat/completions")
    assert body["reasoning_effort"] == "high" and body["seed"] == 42 and body["top_k"] == 20
    generate(gw, {"model": "o", "messages": [{"role": "user", "content": "x"}], "reasoning": {"effort": "none"},
                  "seed": 7, "top_k": 5})
    body = sent(gw, "o", "/api/chat")
    assert body["think"] is False and body["options"]["seed"] == 7 and body["options"]["top_k"] == 5
    # Thinking on Anthropic: a temperature and top_k it would refuse are left out (the fake refuses them).
    status, answer = generate(gw, {"model": "c", "prompt": "x", "temperature": 0.3, "top_k": 5, "max_tokens": 3000,
                                   "reasoning": {"budget_tokens": 2048, "include": True}})
    assert status == 200, answer
    body = sent(gw, "c", "/v1/messages")
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert "temperature" not in body and "top_k" not in body and "seed" not in body
    generate(gw, {"model": "c", "prompt": "x", "top_k": 5})
    assert sent(gw, "c", "/v1/messages")["top_k"] == 5


@pytest.mark.parametrize("reasoning,field", [
    ({"budget_tokens": 500}, "reasoning.budget_tokens"),
    ({"budget_tokens": 5000}, "reasoning.budget_tokens"),
    ({"effort": "extreme"}, "reasoning.effort"),
])
def test_a_bad_thinking_budget_is_422(gw, reasoning, field):
    status, answer = generate(gw, {"model": "c", "prompt": "x", "max_tokens": 4000, "reasoning": reasoning})
    assert status == 422 and answer["error"]["message"].startswith(field), answer


def test_thinking_with_a_forced_tool_is_refused_before_the_provider(gw):
    status, answer = generate(gw, {"model": "c", "prompt": "x", "tools": [{"name": "f", "parameters": WEATHER}],
                                   "tool_choice": "required", "reasoning": {"effort": "low"}})
    assert status == 422 and answer["error"]["message"].startswith("tool_choice")


def test_claude_tools_and_thinking_round_trip_with_the_signature_unchanged(gw):
    tools = [{"name": "get_weather", "parameters": WEATHER}]
    status, first = generate(gw, {"model": "c", "max_tokens": 3000, "prompt": "use:get_weather fault:redacted",
                                  "tools": tools, "reasoning": {"budget_tokens": 1024, "include": True}})
    assert status == 200 and first["finish_reason"] == "tool_use", first
    thinking, redacted = first["reasoning"]
    assert redacted["redacted_data"] and thinking["signature"]
    call = first["tool_calls"][0]
    turn = [{"role": "user", "content": "use:get_weather"},
            {"role": "assistant", "parts": [{"reasoning": thinking}, {"reasoning": redacted}], "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]
    status, second = generate(gw, {"model": "c", "max_tokens": 3000, "messages": turn, "tools": tools,
                                   "reasoning": {"budget_tokens": 1024}})
    assert status == 200 and second["content"] == "Tool said: sunny", second
    back = sent(gw, "c", "/v1/messages")["messages"][1]["content"]
    assert back[0] == {"type": "thinking", "thinking": thinking["text"], "signature": thinking["signature"]}
    assert back[1] == {"type": "redacted_thinking", "data": base64.b64decode(redacted["redacted_data"]).decode()}
    # A signature changed on the way is refused by the provider: the gateway must not alter it.
    turn[1]["parts"][0]["reasoning"] = {**thinking, "text": thinking["text"] + " (edited)"}
    status, _ = generate(gw, {"model": "c", "max_tokens": 3000, "messages": turn, "tools": tools,
                              "reasoning": {"budget_tokens": 1024}})
    assert status == 422


def test_cache_reads_and_writes_count_in_the_input_and_the_cost(gw):
    status, answer = generate(gw, {"model": "c", "prompt": "a b c fault:cached=50 fault:cache_write=100"})
    assert status == 200, answer
    assert answer["tokens_cache_read"] == 50 and answer["tokens_cache_write"] == 100
    plain = answer["tokens_input"] - 150
    assert plain > 0
    expected = (plain * 3.0 + 50 * 0.3 + 100 * 3.75 + answer["tokens_output"] * 15.0) / 1e6
    assert answer["cost_usd"] == pytest.approx(expected)
    chunks = stream(gw, {"model": "c", "prompt": "a b c fault:cached=50 fault:cache_write=100"})
    assert chunks[-1]["tokens_cache_write"] == 100 and chunks[-1]["tokens_input"] == answer["tokens_input"]
    _, _, usage = curl(gw, "GET", "/api/v1/usage")
    totals = json.loads(usage)["totals"]
    assert totals["tokens_cache_write"] >= 200 and totals["tokens_cache_read"] >= 100
    _, _, metrics = curl(gw, "GET", "/metrics")
    assert 'kind="cache_write"' in metrics and 'kind="reasoning"' in metrics


def test_grpc_reasoning_and_breakdown(gw, gateway_api):
    pb, rpc = gateway_api
    with grpc.insecure_channel(gw.address) as channel:
        stub = rpc.ModelGatewayStub(channel)
        request = pb.GenerateRequest(model="g", prompt="why?", seed=3, top_k=4,
                                     reasoning=pb.ReasoningConfig(effort="low", include=True))
        answer = stub.Generate(request, timeout=10)
        assert "".join(p.text for p in answer.reasoning) == "Thinking about why?."
        assert answer.HasField("tokens_reasoning") and answer.tokens_reasoning == 4
        assert answer.provider_finish_reason == "stop"
        chunks = list(stub.StreamGenerate(request, timeout=10))
        assert "".join(c.reasoning.text for c in chunks if c.HasField("reasoning")) == "Thinking about why?."
        assert chunks[-1].done and chunks[-1].tokens_reasoning == 4
        claude = stub.Generate(pb.GenerateRequest(model="c", prompt="x fault:cache_write=9", max_tokens=3000,
                                                  reasoning=pb.ReasoningConfig(budget_tokens=1024, include=True)),
                               timeout=10)
        assert claude.reasoning[0].signature.startswith("sig-") and claude.tokens_cache_write == 9
        with pytest.raises(grpc.RpcError) as failure:
            stub.Generate(pb.GenerateRequest(model="c", prompt="x", reasoning=pb.ReasoningConfig(budget_tokens=10)),
                          timeout=10)
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_sdks_see_reasoning_in_their_own_shapes(gw):
    oai = openai.OpenAI(base_url=gw.url + "/v1", api_key="x", max_retries=0)
    answer = oai.chat.completions.create(model="d", reasoning_effort="low", messages=[{"role": "user", "content": "why?"}])
    assert answer.choices[0].message.content == "Echo: why?"
    assert answer.choices[0].message.model_extra["reasoning_content"] == "Thinking about why?."
    assert answer.usage.completion_tokens_details.reasoning_tokens == 4
    streamed = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
                       for c in oai.chat.completions.create(model="d", reasoning_effort="low", stream=True,
                                                            messages=[{"role": "user", "content": "why?"}])
                       if c.choices)
    assert streamed == "Thinking about why?."
    claude = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0)
    message = claude.messages.create(model="c", max_tokens=3000, thinking={"type": "enabled", "budget_tokens": 1024},
                                     messages=[{"role": "user", "content": "why? fault:cache_write=7"}])
    assert message.content[0].type == "thinking" and message.content[0].signature.startswith("sig-")
    assert message.content[1].text == "Echo: why? fault:cache_write=7"
    assert message.usage.cache_creation_input_tokens == 7
    with claude.messages.stream(model="c", max_tokens=3000, thinking={"type": "enabled", "budget_tokens": 1024},
                                messages=[{"role": "user", "content": "why?"}]) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking" and final.content[0].thinking == "Thinking about why?."
    assert final.content[0].signature.startswith("sig-")


# ---- typed gRPC error details -------------------------------------------------------------------------


def details_of(failure):
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status
    status = rpc_status.from_call(failure.value)
    assert status is not None, "no grpc-status-details-bin trailer"
    found = {}
    for detail in status.details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo, error_details_pb2.BadRequest):
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                found[kind.__name__] = message
    return status, found


def test_grpc_errors_carry_google_rpc_status_details(gw, gateway_api):
    pb, rpc = gateway_api
    with grpc.insecure_channel(gw.address) as channel:
        stub = rpc.ModelGatewayStub(channel)
        with pytest.raises(grpc.RpcError) as failure:
            stub.Generate(pb.GenerateRequest(model="g", prompt="x", temperature=5), timeout=10)
        status, found = details_of(failure)
        assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
        assert found["ErrorInfo"].reason == "INVALID_ARGUMENT" and found["ErrorInfo"].domain == "modelgateway.v1"
        violation = found["BadRequest"].field_violations[0]
        assert violation.field == "temperature" and "between" in violation.description

        with pytest.raises(grpc.RpcError) as failure:
            stub.Generate(pb.GenerateRequest(model="g", prompt="x fault:http429"), timeout=10)
        status, found = details_of(failure)
        assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert found["ErrorInfo"].reason == "RATE_LIMITED"
        assert dict(found["ErrorInfo"].metadata) == {"model": "openai/gpt-oss-20b", "provider": "vllm"}
        assert found["RetryInfo"].retry_delay.seconds == 7
        assert dict(failure.value.trailing_metadata())["retry-after"] == "7"

        with pytest.raises(grpc.RpcError) as failure:
            stub.Generate(pb.GenerateRequest(model="g", prompt="x fault:http500"), timeout=10)
        _, found = details_of(failure)
        assert found["ErrorInfo"].reason == "PROVIDER_ERROR" and found["ErrorInfo"].metadata["provider"] == "vllm"

        with pytest.raises(grpc.RpcError) as failure:
            stub.Generate(pb.GenerateRequest(model="nope", prompt="x"), timeout=10)
        _, found = details_of(failure)
        assert found["ErrorInfo"].reason == "NOT_FOUND" and "RetryInfo" not in found
