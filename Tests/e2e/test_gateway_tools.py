"""Tool calls, JSON output and images (contract §7) through every provider kind, over REST (HTTP/1.1 and
HTTP/2) and gRPC, unary and streamed: the fakes speak each provider's own wire format, and their logs show
what the gateway sent them."""

import base64
import json

import grpc
import pytest

from conftest import GatewayUnderTest
from test_gateway_rest import check, curl

pytestmark = pytest.mark.contract

CONFIG = """
server:
  port: 0
  max_request_bytes: 65536
  max_image_bytes: 4096
providers:
  - {{name: ollama, type: ollama, endpoint: "{ollama}"}}
  - {{name: vllm, type: openai, endpoint: "{openai}/v1"}}
  - {{name: anthropic, type: anthropic, endpoint: "{anthropic}", api_key: test-key}}
  - {{name: down, type: ollama, endpoint: "http://127.0.0.1:9", connect_timeout_s: 1}}
  - {{name: builtin, type: builtin}}
models:
  - {{name: "qwen-vision:7b", provider: ollama}}
  - {{name: "qwen-notools:1b", provider: ollama, capabilities: [generate, chat, stream]}}
  - {{name: gpt-tools, provider: vllm, capabilities: [generate, chat, stream, tools, json_output]}}
  - {{name: gpt-vision, provider: vllm}}
  - {{name: claude-t, provider: anthropic}}
  - {{name: primary, provider: down, fallbacks: ["qwen-notools:1b", "qwen-vision:7b"]}}
failover:
  strategies: []
discovery:
  probe_interval_s: 60
"""

MODELS = {"ollama": "qwen-vision:7b", "openai": "gpt-tools", "anthropic": "claude-t"}
WEATHER = {"name": "get_weather", "description": "Weather now",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer"}}}}
TIME = {"name": "get_time", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
# A real 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    under_test = GatewayUnderTest(
        tmp_path_factory.mktemp("tools"), CONFIG,
        fake_models={"ollama": ["qwen-vision:7b", "qwen-notools:1b"], "openai": ["gpt-tools", "gpt-vision"],
                     "anthropic": ["claude-t"], "ollama_cpu": []})
    yield under_test
    under_test.stop()


def generate(gw, body, http2=False):
    status, _, payload = curl(gw, "POST", "/api/v1/generate", body, http2)
    return status, json.loads(payload)


def stream(gw, body, http2=False):
    status, headers, payload = curl(gw, "POST", "/api/v1/generate", {**body, "stream": True}, http2)
    assert status == 200 and headers["content-type"] == "text/event-stream", payload
    return [json.loads(line[6:]) for line in payload.split("\n") if line.startswith("data: ")]


def assemble(deltas):
    """Tool-call pieces joined by index, checking that each call's first piece carries its id and name."""
    calls = {}
    for delta in deltas:
        if delta["index"] not in calls:
            assert delta["id"] and delta["name"], f"first piece of call {delta['index']} lacks id or name: {delta}"
            calls[delta["index"]] = {"id": delta["id"], "name": delta["name"], "arguments": ""}
        else:
            assert not delta["name"] or delta["name"] == calls[delta["index"]]["name"]
        calls[delta["index"]]["arguments"] += delta["arguments"]
    return [calls[index] for index in sorted(calls)]


def last_request(gw, kind, path):
    return [entry for entry in gw.fakes[kind].log() if entry.get("path") == path][-1]["body"]


PATHS = {"ollama": "/api/chat", "openai": "/v1/chat/completions", "anthropic": "/v1/messages"}


# ---- tool calls -------------------------------------------------------------------------------------


@pytest.mark.parametrize("http2", [False, True])
@pytest.mark.parametrize("kind", list(MODELS))
def test_a_tool_call_whole(gw, kind, http2):
    status, answer = generate(gw, {"model": MODELS[kind], "prompt": "use:get_weather", "tools": [WEATHER]}, http2)
    assert status == 200, answer
    check("GenerateResponse", answer)
    assert answer["finish_reason"] == "tool_use"
    [call] = answer["tool_calls"]
    assert call["name"] == "get_weather" and call["id"]
    assert json.loads(call["arguments"]) == {"city": "Zürich", "n": 0}
    if kind == "ollama":
        assert call["id"] == "call-1", "Ollama gives no ids: the gateway mints call-<n>"
    sent = last_request(gw, kind, PATHS[kind])
    if kind == "anthropic":
        assert sent["tools"][0]["input_schema"] == WEATHER["parameters"]
    else:
        assert sent["tools"][0] == {"type": "function", "function": WEATHER}


@pytest.mark.parametrize("http2", [False, True])
@pytest.mark.parametrize("kind", list(MODELS))
def test_parallel_tool_calls_streamed_by_index(gw, kind, http2):
    # fault:split writes the provider's stream a byte at a time: lines and UTF-8 characters arrive cut.
    chunks = stream(gw, {"model": MODELS[kind], "prompt": "use:get_weather use:get_time fault:split",
                         "tools": [WEATHER, TIME]}, http2)
    for chunk in chunks:
        check("GenerateChunk", chunk)
    deltas = [d for chunk in chunks for d in chunk.get("tool_calls", [])]
    calls = assemble(deltas)
    assert [c["name"] for c in calls] == ["get_weather", "get_time"]
    assert [json.loads(c["arguments"]) for c in calls] == [{"city": "Zürich", "n": 0}, {"city": "Zürich", "n": 1}]
    assert len({c["id"] for c in calls}) == 2
    if kind != "ollama":
        assert len(deltas) > 4, "arguments arrive in pieces"
    assert chunks[-1]["done"] and chunks[-1]["finish_reason"] == "tool_use"
    assert chunks[-1]["tokens_output"] > 0


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_tool_result_goes_back_in_the_providers_format(gw, kind):
    messages = [
        {"role": "user", "content": "use:get_weather"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call-7", "name": "get_weather", "arguments": "{\"city\": \"Zürich\"}"}]},
        {"role": "tool", "tool_call_id": "call-7", "content": "22 degrees"},
    ]
    status, answer = generate(gw, {"model": MODELS[kind], "messages": messages, "tools": [WEATHER]})
    assert status == 200, answer
    assert answer["content"] == "Tool said: 22 degrees" and answer["finish_reason"] == "stop"
    sent = last_request(gw, kind, PATHS[kind])["messages"]
    if kind == "openai":
        assert sent[1]["tool_calls"][0] == {"id": "call-7", "type": "function", "function": {
            "name": "get_weather", "arguments": "{\"city\": \"Zürich\"}"}}
        assert sent[2] == {"role": "tool", "tool_call_id": "call-7", "content": "22 degrees"}
    elif kind == "anthropic":
        assert sent[1]["content"][-1] == {"type": "tool_use", "id": "call-7", "name": "get_weather",
                                          "input": {"city": "Zürich"}}
        assert sent[2] == {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call-7", "content": "22 degrees"}]}
    else:
        assert sent[1]["tool_calls"] == [{"function": {"name": "get_weather", "arguments": {"city": "Zürich"}}}]
        assert sent[2] == {"role": "tool", "content": "22 degrees", "tool_name": "get_weather"}


def test_tool_choice_reaches_each_provider(gw):
    body = {"prompt": "hello", "tools": [WEATHER, TIME], "tool_choice": {"mode": "tool", "name": "get_time"}}
    for kind in ("openai", "anthropic"):
        status, answer = generate(gw, {**body, "model": MODELS[kind]})
        assert status == 200 and [c["name"] for c in answer["tool_calls"]] == ["get_time"], answer
    assert last_request(gw, "openai", PATHS["openai"])["tool_choice"] == {
        "type": "function", "function": {"name": "get_time"}}
    assert last_request(gw, "anthropic", PATHS["anthropic"])["tool_choice"] == {"type": "tool", "name": "get_time"}
    generate(gw, {**body, "model": MODELS["anthropic"], "tool_choice": "required"})
    assert last_request(gw, "anthropic", PATHS["anthropic"])["tool_choice"] == {"type": "any"}
    status, answer = generate(gw, {**body, "model": MODELS["openai"], "tool_choice": "none"})
    assert status == 200 and "tool_calls" not in answer


def test_the_builtin_echo_shows_a_tool_call_without_any_provider(gw):
    status, answer = generate(gw, {"model": "echo", "prompt": "call get_weather", "tools": [WEATHER]})
    assert status == 200 and answer["tool_calls"] == [{"id": "call-1", "name": "get_weather", "arguments": "{}"}]
    chunks = stream(gw, {"model": "echo", "prompt": "call get_weather", "tools": [WEATHER]})
    assert assemble([d for c in chunks for d in c.get("tool_calls", [])])[0]["arguments"] == "{}"


# ---- JSON output ------------------------------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temp": {"type": "number"}},
          "required": ["city", "temp"]}


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("kind", list(MODELS))
def test_json_schema_output(gw, kind, streamed):
    body = {"model": MODELS[kind], "prompt": "weather?",
            "response_format": {"type": "json_schema", "name": "weather", "schema": SCHEMA, "strict": True}}
    if streamed:
        chunks = stream(gw, body)
        content = "".join(c["content"] for c in chunks)
        assert chunks[-1]["finish_reason"] == "stop"
    else:
        status, answer = generate(gw, body)
        assert status == 200, answer
        content = answer["content"]
        assert answer["finish_reason"] == "stop" and "tool_calls" not in answer
    assert set(json.loads(content)) == {"city", "temp"}
    # A prompt alone goes to Ollama's /api/generate, which takes `format` too.
    sent = last_request(gw, kind, "/api/generate" if kind == "ollama" else PATHS[kind])
    if kind == "openai":
        assert sent["response_format"] == {"type": "json_schema", "json_schema": {
            "name": "weather", "schema": SCHEMA, "strict": True}}
    elif kind == "ollama":
        assert sent["format"] == SCHEMA
    else:
        assert sent["tools"][0]["name"] == "weather" and sent["tools"][0]["input_schema"] == SCHEMA
        assert sent["tool_choice"] == {"type": "tool", "name": "weather"}


@pytest.mark.parametrize("kind", list(MODELS))
def test_json_object_output(gw, kind):
    status, answer = generate(gw, {"model": MODELS[kind], "prompt": "hi", "response_format": {"type": "json_object"}})
    assert status == 200 and isinstance(json.loads(answer["content"]), dict), answer


# ---- images ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ollama", "anthropic"])
def test_an_image_reaches_the_provider_as_it_takes_images(gw, kind):
    message = {"role": "user", "parts": [{"text": "what is this?"},
                                         {"image": {"data": base64.b64encode(PNG).decode()}}]}
    status, answer = generate(gw, {"model": MODELS[kind], "messages": [message]})
    assert status == 200, answer
    assert answer["content"].endswith(f"[image image/png {len(PNG)} bytes]")
    sent = last_request(gw, kind, PATHS[kind])["messages"][-1]
    if kind == "ollama":
        assert sent["images"] == [base64.b64encode(PNG).decode()]
    else:
        assert sent["content"][1] == {"type": "image", "source": {
            "type": "base64", "media_type": "image/png", "data": base64.b64encode(PNG).decode()}}


def test_images_reach_an_openai_compatible_server_as_image_url_parts(gw):
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    status, answer = generate(gw, {"model": "gpt-vision", "messages": [
        {"role": "user", "parts": [{"text": "see"}, {"image": {"url": url}}]}]})
    assert status == 200, answer
    assert answer["content"] == f"Echo: see [image image/png {len(PNG)} bytes]"
    sent = last_request(gw, "openai", PATHS["openai"])["messages"][-1]
    assert sent["content"] == [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": url}}]
    status, answer = generate(gw, {"model": "gpt-vision", "messages": [
        {"role": "user", "parts": [{"image": {"url": "https://images.example/cat.png"}}]}]})
    assert status == 200 and answer["content"].endswith("[image https://images.example/cat.png]"), answer


# ---- validation --------------------------------------------------------------------------------------

BAD = [
    ({"tools": [{"name": "f", "parameters": {"type": "string"}}]}, "tools[0].parameters"),
    ({"tools": [{"name": "f", "parameters": [1]}]}, "tools[0].parameters"),
    ({"tools": [{"name": "bad name!"}]}, "tools[0].name"),
    ({"tools": [WEATHER], "tool_choice": {"mode": "tool", "name": "nope"}}, "tool_choice.name"),
    ({"tool_choice": "required"}, "tool_choice"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
    ({"messages": [{"role": "assistant", "tool_calls": [{"id": "1", "name": "f", "arguments": "[1]"}]}]},
     "messages[0].tool_calls[0].arguments"),
    ({"messages": [{"role": "user", "parts": [{"image": {"data": base64.b64encode(b"not an image").decode()}}]}]},
     "messages[0].parts[0].image.data"),
    ({"messages": [{"role": "user", "parts": [{"image": {"data": base64.b64encode(PNG + b"x" * 5000).decode()}}]}]},
     "messages[0].parts[0].image.data"),
    ({"messages": [{"role": "user", "parts": [{"image": {"url": "ftp://x/y.png"}}]}]},
     "messages[0].parts[0].image.url"),
    ({"response_format": {"type": "json_schema"}}, "response_format.schema"),
]


@pytest.mark.parametrize("extra,field", BAD)
def test_invalid_tool_json_and_image_fields_are_422_naming_the_field(gw, extra, field):
    status, answer = generate(gw, {"model": "claude-t", "prompt": "p", **extra})
    assert status == 422, answer
    assert answer["error"]["code"] == "invalid_request" and answer["error"]["message"].startswith(field + ":"), answer


def test_a_model_known_to_lack_a_capability_refuses_what_needs_it(gw):
    status, answer = generate(gw, {"model": "qwen-notools:1b", "prompt": "p", "tools": [WEATHER]})
    assert status == 422 and "tools" in answer["error"]["message"]
    png = base64.b64encode(PNG).decode()
    status, answer = generate(gw, {"model": "gpt-tools", "messages": [
        {"role": "user", "parts": [{"image": {"data": png}}]}]})
    assert status == 422 and "vision" in answer["error"]["message"]


def test_failover_skips_candidates_known_to_lack_what_the_request_needs(gw):
    before = len([e for e in gw.fakes["ollama"].log() if e.get("path") == "/api/chat"])
    status, answer = generate(gw, {"model": "primary", "prompt": "use:get_weather", "tools": [WEATHER]})
    assert status == 200, answer
    assert answer["model"] == "qwen-vision:7b" and answer["requested_model"] == "primary"
    chats = [e for e in gw.fakes["ollama"].log() if e.get("path") == "/api/chat"][before:]
    assert [e["body"]["model"] for e in chats] == ["qwen-vision:7b"], "the tool-less fallback was tried"


def test_discovered_capabilities_are_listed(gw):
    status, _, payload = curl(gw, "GET", "/api/v1/models/qwen-vision:7b")
    assert status == 200
    # Discovery (Ollama's /api/show) ran at start-up; the model's capabilities come from it.
    assert {"tools", "vision"} <= set(json.loads(payload)["capabilities"])


def test_tool_arguments_and_images_never_reach_the_log(gw):
    generate(gw, {"model": MODELS["openai"], "prompt": "use:get_weather", "tools": [WEATHER]})
    logs = json.dumps(gw.server.logs(), ensure_ascii=False)
    assert "Zürich" not in logs and base64.b64encode(PNG).decode()[:20] not in logs
    assert '"method": "generate"' in logs, "the request log lines are there"


# ---- gRPC ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(gw, gateway_api):
    pb, rpc = gateway_api
    with grpc.insecure_channel(gw.address) as channel:
        yield pb, rpc.ModelGatewayStub(channel)


def grpc_tools(pb):
    return [pb.Tool(name=t["name"], description=t.get("description", ""), parameters=json.dumps(t["parameters"]))
            for t in (WEATHER, TIME)]


@pytest.mark.parametrize("kind", list(MODELS))
def test_grpc_tool_calls_unary_and_streamed(api, kind):
    pb, stub = api
    request = pb.GenerateRequest(model=MODELS[kind], prompt="use:get_weather use:get_time", tools=grpc_tools(pb))
    answer = stub.Generate(request, timeout=10)
    assert answer.finish_reason == "tool_use"
    assert [(c.name, json.loads(c.arguments)["n"]) for c in answer.tool_calls] == [("get_weather", 0), ("get_time", 1)]
    chunks = list(stub.StreamGenerate(request, timeout=10))
    deltas = [{"index": d.index, "id": d.id, "name": d.name, "arguments": d.arguments}
              for chunk in chunks for d in chunk.tool_calls]
    assert [c["name"] for c in assemble(deltas)] == ["get_weather", "get_time"]
    assert chunks[-1].done and chunks[-1].finish_reason == "tool_use"


def test_grpc_images_json_output_and_tool_results(api):
    pb, stub = api
    image = pb.ContentPart(image=pb.Image(data=PNG))
    answer = stub.Generate(pb.GenerateRequest(model=MODELS["anthropic"], messages=[
        pb.ChatMessage(role="user", parts=[pb.ContentPart(text="look"), image])]), timeout=10)
    assert answer.content.endswith(f"[image image/png {len(PNG)} bytes]")
    answer = stub.Generate(pb.GenerateRequest(model=MODELS["ollama"], prompt="x", response_format=pb.ResponseFormat(
        type="json_schema", schema=json.dumps(SCHEMA), name="weather")), timeout=10)
    assert set(json.loads(answer.content)) == {"city", "temp"}
    answer = stub.Generate(pb.GenerateRequest(model=MODELS["openai"], tools=grpc_tools(pb), messages=[
        pb.ChatMessage(role="user", content="use:get_weather"),
        pb.ChatMessage(role="assistant", tool_calls=[pb.ToolCall(id="c1", name="get_weather", arguments="{}")]),
        pb.ChatMessage(role="tool", tool_call_id="c1", content="sunny")]), timeout=10)
    assert answer.content == "Tool said: sunny"


def test_grpc_invalid_schema_text_is_invalid_argument_naming_the_field(api):
    pb, stub = api
    with pytest.raises(grpc.RpcError) as failure:
        stub.Generate(pb.GenerateRequest(model="echo", prompt="p", tools=[pb.Tool(name="f", parameters="{not json")]),
                      timeout=10)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.value.details().startswith("tools[0].parameters:")
    with pytest.raises(grpc.RpcError) as failure:
        stub.Generate(pb.GenerateRequest(model="echo", prompt="p", tool_choice=pb.ToolChoice(mode="tool", name="x"),
                                         tools=[pb.Tool(name="f", parameters="{}")]), timeout=10)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
