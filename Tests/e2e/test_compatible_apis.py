"""The OpenAI- and Anthropic-compatible front doors (contract §8) through the official `openai` and
`anthropic` SDKs, unmodified, against the real binary and fakes of every provider kind; and raw HTTP for the
wire details the SDKs hide."""

import base64
import json
import struct
import subprocess
import urllib.error
import urllib.request

import anthropic
import openai
import pytest

from conftest import GatewayUnderTest
from test_gateway_rest import check

pytestmark = pytest.mark.contract

CONFIG = """
server: {{port: 0, max_request_bytes: 65536}}
auth:
  api_keys: [sk-test]
  keys:
    - {{name: search-service, key: sk-scoped, models: [tiny, echo], rate_limit: {{requests_per_minute: 1000}}}}
providers:
  - {{name: ollama, type: ollama, endpoint: "{ollama}"}}
  - {{name: vllm, type: openai, endpoint: "{openai}/v1"}}
  - {{name: anthropic, type: anthropic, endpoint: "{anthropic}", api_key: test-key}}
  - {{name: down, type: ollama, endpoint: "http://127.0.0.1:9", connect_timeout_s: 1}}
  - {{name: builtin, type: builtin}}
models:
  - {{name: "gemma3:4b", provider: ollama, aliases: [tiny]}}
  - {{name: openai/gpt-oss-20b, provider: vllm, aliases: [large], pricing: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}}}
  - {{name: claude-sonnet-4-20250514, provider: anthropic, aliases: [frontier]}}
  - {{name: "mxbai-embed-large:335m", provider: ollama, aliases: [embedding], capabilities: [embedding]}}
  - {{name: primary, provider: down, fallbacks: ["gemma3:4b"]}}
failover: {{strategies: []}}
discovery: {{probe_interval_s: 60}}
"""

MODELS = ["tiny", "large", "frontier"]  # Ollama, OpenAI-compatible and Anthropic behind them
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer"}}}
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    under_test = GatewayUnderTest(
        tmp_path_factory.mktemp("compatible"), CONFIG,
        fake_models={"ollama": ["gemma3:4b", "mxbai-embed-large:335m"], "ollama_cpu": []})
    yield under_test
    under_test.stop()


@pytest.fixture(scope="module")
def oai(gw):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-test", max_retries=0)


@pytest.fixture(scope="module")
def claude(gw):
    return anthropic.Anthropic(base_url=gw.url, api_key="sk-test", max_retries=0)


def raw(gw, path, body, headers=None):
    request = urllib.request.Request(gw.url + path, data=json.dumps(body).encode(), headers={
        "content-type": "application/json", "authorization": "Bearer sk-test", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


# ---- OpenAI ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS + ["echo"])
def test_openai_chat(oai, model):
    answer = oai.chat.completions.create(model=model, messages=[
        {"role": "system", "content": "be brief"}, {"role": "user", "content": "hello gateway"}],
        max_tokens=50, temperature=0.2, seed=7, presence_penalty=0.1, user="u1")
    assert answer.object == "chat.completion" and answer.id.startswith("chatcmpl-")
    assert answer.choices[0].message.content.endswith("hello gateway")
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage.completion_tokens > 0 and answer.usage.total_tokens == (
        answer.usage.prompt_tokens + answer.usage.completion_tokens)


@pytest.mark.parametrize("model", MODELS)
def test_openai_chat_stream_with_usage(oai, model):
    chunks = list(oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "one two three"}],
                                              stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4


@pytest.mark.parametrize("model", MODELS)
def test_openai_tools_whole_and_streamed(oai, model):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}},
             {"type": "function", "function": {"name": "get_time", "parameters": WEATHER}}]
    messages = [{"role": "user", "content": "use:get_weather use:get_time"}]
    answer = oai.chat.completions.create(model=model, messages=messages, tools=tools)
    assert answer.choices[0].finish_reason == "tool_calls"
    calls = answer.choices[0].message.tool_calls
    assert [(c.function.name, json.loads(c.function.arguments)["n"]) for c in calls] == [("get_weather", 0), ("get_time", 1)]
    assembled = {}
    finish = None
    for chunk in oai.chat.completions.create(model=model, messages=messages, tools=tools, stream=True):
        for piece in chunk.choices[0].delta.tool_calls or []:
            call = assembled.setdefault(piece.index, {"id": piece.id, "name": piece.function.name, "arguments": ""})
            call["arguments"] += piece.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert [(c["name"], json.loads(c["arguments"])) for _, c in sorted(assembled.items())] == [
        ("get_weather", {"city": "Zürich", "n": 0}), ("get_time", {"city": "Zürich", "n": 1})]
    assert all(c["id"] for c in assembled.values())


@pytest.mark.parametrize("model", MODELS)
def test_openai_tool_result_round_trip(oai, model):
    answer = oai.chat.completions.create(model=model, messages=[
        {"role": "user", "content": "use:get_weather"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}])
    assert answer.choices[0].message.content == "Tool said: sunny"


@pytest.mark.parametrize("model", MODELS)
def test_openai_json_schema(oai, model):
    answer = oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "weather"}],
                                         response_format={"type": "json_schema", "json_schema": {
                                             "name": "weather", "schema": WEATHER, "strict": True}})
    assert set(json.loads(answer.choices[0].message.content)) == {"city", "n"}


@pytest.mark.parametrize("model", ["large", "frontier"])
def test_openai_image_parts(oai, model):
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    answer = oai.chat.completions.create(model=model, messages=[{"role": "user", "content": [
        {"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": url, "detail": "low"}}]}])
    assert answer.choices[0].message.content.endswith(f"[image image/png {len(PNG)} bytes]")


def test_openai_embeddings_float_and_base64(gw, oai):
    default = oai.embeddings.create(model="embedding", input=["a b c", "d"])  # the SDK asks for base64
    floats = oai.embeddings.create(model="embedding", input="a b c", encoding_format="float")
    assert [d.embedding for d in default.data] == [[5.0, 3.0, 0.5, -0.25], [1.0, 1.0, 0.5, -0.25]]
    assert floats.data[0].embedding == [5.0, 3.0, 0.5, -0.25] and floats.usage.prompt_tokens == 3
    body = json.loads(raw(gw, "/v1/embeddings", {"model": "embedding", "input": "x y", "encoding_format": "base64"}))
    assert struct.unpack("<4f", base64.b64decode(body["data"][0]["embedding"])) == (3.0, 2.0, 0.5, -0.25)


def test_openai_models(oai):
    ids = [m.id for m in oai.models.list()]
    assert {"gemma3:4b", "tiny", "large", "frontier", "echo"} <= set(ids)
    model = oai.models.retrieve("tiny")
    assert model.id == "tiny" and model.owned_by == "ollama" and model.object == "model"


def test_openai_error_classes(gw, oai):
    with pytest.raises(openai.NotFoundError) as failure:
        oai.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert failure.value.body["type"] == "not_found_error"
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="tiny", n=2, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.UnprocessableEntityError) as failure:
        oai.chat.completions.create(model="tiny", temperature=5, messages=[{"role": "user", "content": "x"}])
    assert "temperature" in failure.value.message
    with pytest.raises(openai.UnprocessableEntityError) as failure:
        oai.chat.completions.create(model="tiny", messages=[])
    assert failure.value.body["message"] == "messages: at least one message is required"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-wrong", max_retries=0).models.list()
    with pytest.raises(openai.RateLimitError) as failure:
        oai.chat.completions.create(model="large", messages=[{"role": "user", "content": "x fault:http429"}])
    assert failure.value.response.headers["retry-after"] == "7"
    with pytest.raises(openai.InternalServerError) as failure:
        oai.chat.completions.create(model="large", messages=[{"role": "user", "content": "x fault:http500"}])
    assert failure.value.status_code == 502


@pytest.mark.parametrize("model", MODELS)
def test_openai_a_failure_mid_stream_is_an_error_not_a_clean_end(oai, model):
    stream = oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "a b c d fault:error_after=2"}],
                                         stream=True)
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass


def test_openai_failover_usage_and_metrics(gw, oai):
    answer = oai.chat.completions.create(model="primary", messages=[{"role": "user", "content": "hi"}])
    assert answer.model == "gemma3:4b" and answer.choices[0].message.content == "Echo: hi"
    request = urllib.request.Request(gw.url + "/metrics", headers={"authorization": "Bearer sk-test"})
    metrics = urllib.request.urlopen(request, timeout=5).read().decode()
    assert 'gateway_requests_total{method="openai_chat_completions",model="primary",provider="ollama",code="ok"}' in metrics
    assert 'method="openai_chat_completions_stream"' in metrics and 'method="openai_embeddings"' in metrics
    request = urllib.request.Request(gw.url + "/api/v1/usage", headers={"authorization": "Bearer sk-test"})
    usage = json.load(urllib.request.urlopen(request, timeout=5))
    assert usage["totals"]["requests"] > 0 and any(row["tokens_input"] > 0 for row in usage["by_key"])


def test_openai_answers_follow_the_openapi_document(gw):
    answer = json.loads(raw(gw, "/v1/chat/completions", {"model": "tiny", "messages": [{"role": "user", "content": "x"}]}))
    check("OpenAIChatCompletion", answer)
    try:
        raw(gw, "/v1/chat/completions", {"model": "nope", "messages": [{"role": "user", "content": "x"}]})
    except urllib.error.HTTPError as error:
        check("OpenAIError", json.loads(error.read()))
        assert error.code == 404


def test_openai_stream_wire_ends_with_done(gw):
    text = raw(gw, "/v1/chat/completions", {"model": "tiny", "stream": True,
                                             "messages": [{"role": "user", "content": "x"}]})
    events = [line for line in text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[-2][6:])["choices"][0]["finish_reason"] == "stop"
    assert all(json.loads(e[6:])["object"] == "chat.completion.chunk" for e in events[:-1])


# ---- Anthropic ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS + ["echo"])
def test_anthropic_messages(claude, model):
    message = claude.messages.create(model=model, max_tokens=100, system="be brief", messages=[
        {"role": "user", "content": "hello gateway"}], stop_sequences=["STOP"], extra_body={"temperature": 0.3})
    assert message.type == "message" and message.role == "assistant"
    assert message.content[0].text.endswith("hello gateway") and message.stop_reason == "end_turn"
    assert message.usage.output_tokens > 0


@pytest.mark.parametrize("model", MODELS)
def test_anthropic_stream(claude, model):
    with claude.messages.stream(model=model, max_tokens=100, messages=[{"role": "user", "content": "one two"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Echo: one two" and final.stop_reason == "end_turn" and final.usage.output_tokens == 3


@pytest.mark.parametrize("model", MODELS)
def test_anthropic_tools_whole_and_streamed(claude, model):
    tools = [{"name": "get_weather", "input_schema": WEATHER}, {"name": "get_time", "input_schema": WEATHER}]
    messages = [{"role": "user", "content": "use:get_weather use:get_time"}]
    message = claude.messages.create(model=model, max_tokens=100, tools=tools, messages=messages)
    assert message.stop_reason == "tool_use"
    uses = [b for b in message.content if b.type == "tool_use"]
    assert [(b.name, b.input) for b in uses] == [("get_weather", {"city": "Zürich", "n": 0}),
                                                  ("get_time", {"city": "Zürich", "n": 1})]
    with claude.messages.stream(model=model, max_tokens=100, tools=tools, messages=messages) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [(b.name, b.input) for b in final.content if b.type == "tool_use"] == [(b.name, b.input) for b in uses]


@pytest.mark.parametrize("model", MODELS)
def test_anthropic_tool_result_round_trip(claude, model):
    message = claude.messages.create(model=model, max_tokens=100, tools=[{"name": "get_weather", "input_schema": WEATHER}],
                                     messages=[
                                         {"role": "user", "content": "use:get_weather"},
                                         {"role": "assistant", "content": [
                                             {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]},
                                         {"role": "user", "content": [
                                             {"type": "tool_result", "tool_use_id": "toolu_1", "content": "rain"}]}])
    assert message.content[0].text == "Tool said: rain"


@pytest.mark.parametrize("model", ["large", "frontier"])
def test_anthropic_image_blocks(claude, model):
    message = claude.messages.create(model=model, max_tokens=100, messages=[{"role": "user", "content": [
        {"type": "text", "text": "see"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": base64.b64encode(PNG).decode()}}]}])
    assert message.content[0].text.endswith(f"[image image/png {len(PNG)} bytes]")


def test_anthropic_models_and_bearer_auth(gw, claude):
    ids = [m.id for m in claude.models.list()]
    assert {"tiny", "frontier", "echo"} <= set(ids)
    assert claude.models.retrieve("frontier").id == "frontier"
    bearer = anthropic.Anthropic(base_url=gw.url, auth_token="sk-test", max_retries=0)
    assert bearer.messages.create(model="echo", max_tokens=5, messages=[{"role": "user", "content": "hi"}]).content


def test_anthropic_error_classes(gw, claude):
    with pytest.raises(anthropic.NotFoundError) as failure:
        claude.messages.create(model="no-such-model", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert failure.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError):
        claude.messages.create(model="tiny", max_tokens=5, messages=[{"role": "user", "content": "x"}],
                               extra_body={"max_tokens": None})
    with pytest.raises(anthropic.UnprocessableEntityError) as failure:
        claude.messages.create(model="tiny", max_tokens=5, messages=[])
    assert failure.value.body["error"]["message"] == "messages: at least one message is required"
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=gw.url, api_key="sk-wrong", max_retries=0).messages.create(
            model="tiny", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.RateLimitError) as failure:
        claude.messages.create(model="frontier", max_tokens=5, messages=[{"role": "user", "content": "x fault:http429"}])
    assert failure.value.response.headers["retry-after"] == "7"
    with pytest.raises(anthropic.InternalServerError):
        claude.messages.create(model="frontier", max_tokens=5, messages=[{"role": "user", "content": "x fault:http500"}])


@pytest.mark.parametrize("model", MODELS)
def test_anthropic_a_failure_mid_stream_is_an_error_event(claude, model):
    with pytest.raises(anthropic.APIError):
        with claude.messages.stream(model=model, max_tokens=100,
                                    messages=[{"role": "user", "content": "a b c d fault:error_after=2"}]) as stream:
            for _ in stream.text_stream:
                pass


def test_anthropic_event_sequence_on_the_wire(gw):
    text = raw(gw, "/v1/messages", {"model": "large", "max_tokens": 50, "stream": True,
                                     "messages": [{"role": "user", "content": "use:f"}],
                                     "tools": [{"name": "f", "input_schema": WEATHER}]},
               headers={"anthropic-version": "2023-06-01"})
    names = [line[7:] for line in text.split("\n") if line.startswith("event: ")]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert names[2:-2] == ["content_block_start"] + ["content_block_delta"] * (len(names) - 6) + ["content_block_stop"]
    assert '"stop_reason":"tool_use"' in text and '"type":"input_json_delta"' in text


def test_an_anthropic_request_answered_by_ollama_and_an_openai_one_by_anthropic(claude, oai):
    assert claude.messages.create(model="tiny", max_tokens=20, messages=[
        {"role": "user", "content": "x"}]).model == "gemma3:4b"
    assert oai.chat.completions.create(model="frontier", messages=[
        {"role": "user", "content": "x"}]).model == "claude-sonnet-4-20250514"


@pytest.mark.parametrize("path,body,kind", [
    ("/v1/chat/completions", {"model": "frontier", "stream": True,
                              "messages": [{"role": "user", "content": "fault:tokens=500 fault:delay=30"}]}, "anthropic"),
    ("/v1/messages", {"model": "large", "stream": True, "max_tokens": 1000,
                      "messages": [{"role": "user", "content": "fault:tokens=500 fault:delay=30"}]}, "openai"),
])
def test_a_client_that_goes_away_cancels_the_upstream(gw, path, body, kind):
    import socket
    import time
    fake = gw.fakes[kind]
    before = len(fake.disconnects())
    payload = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer sk-test\r\n"
                 f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
    received = b""
    while received.count(b"data: ") < 4:
        received += sock.recv(4096)
    sock.close()
    closed_at = time.monotonic()
    deadline = closed_at + 3
    while time.monotonic() < deadline and len(fake.disconnects()) == before:
        time.sleep(0.01)
    events = fake.disconnects()
    assert len(events) > before, "the upstream stream was not cancelled"
    assert events[-1]["at"] - closed_at < 0.1


def test_a_scoped_key_is_refused_other_models_in_every_api(gw, gateway_api):
    import grpc
    scoped = openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-scoped", max_retries=0)
    assert scoped.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "x"}]).choices
    assert scoped.chat.completions.create(model="gemma3:4b", messages=[{"role": "user", "content": "x"}]).choices
    with pytest.raises(openai.PermissionDeniedError) as failure:
        scoped.chat.completions.create(model="large", messages=[{"role": "user", "content": "x"}])
    assert failure.value.body["code"] == "model_not_allowed"
    with pytest.raises(anthropic.PermissionDeniedError):
        anthropic.Anthropic(base_url=gw.url, api_key="sk-scoped", max_retries=0).messages.create(
            model="frontier", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    pb, rpc = gateway_api
    with grpc.insecure_channel(gw.address) as channel:
        with pytest.raises(grpc.RpcError) as failure:
            rpc.ModelGatewayStub(channel).Generate(pb.GenerateRequest(model="large", prompt="x"),
                                                   metadata=[("authorization", "Bearer sk-scoped")], timeout=10)
    assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED
    request = urllib.request.Request(gw.url + "/api/v1/usage", headers={"authorization": "Bearer sk-test"})
    rows = {row["name"]: row for row in json.load(urllib.request.urlopen(request, timeout=5))["by_key"]}
    assert rows["search-service"]["requests"] == 2, "a named key shows by its name in usage"
    assert any(line.get("key") == "search-service" for line in gw.server.logs())
