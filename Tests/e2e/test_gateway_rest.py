"""model-gateway's REST shim with curl over HTTP/1.1 and HTTP/2, every response validated against
contracts/openapi.yaml (the contract test)."""

import json
import pathlib
import subprocess

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_spec

pytestmark = pytest.mark.contract

SPEC = yaml.safe_load((pathlib.Path(__file__).resolve().parents[2] / "contracts" / "openapi.yaml").read_text())


def schema(name):
    """A component schema with its $refs resolvable."""
    return {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}


def check(name, body):
    jsonschema.validate(body, schema(name), cls=jsonschema.Draft202012Validator)


def curl(gateway, method, path, body=None, http2=False, headers=()):
    argv = ["curl", "-sS", "-X", method, "-D", "-", gateway.url + path]
    if http2:
        argv.append("--http2-prior-knowledge")
    if body is not None:
        argv += ["-H", "content-type: application/json", "--data-binary", body if isinstance(body, str) else json.dumps(body)]
    for header in headers:
        argv += ["-H", header]
    out = subprocess.run(argv, capture_output=True, timeout=30).stdout.decode()
    head, _, payload = out.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return status, fields, payload


def test_the_openapi_document_is_valid():
    validate_spec(SPEC)


@pytest.mark.parametrize("http2", [False, True])
def test_generate_json(gateway, http2):
    status, headers, body = curl(gateway, "POST", "/api/v1/generate", {"model": "tiny", "prompt": "hi there"}, http2,
                                 ["x-request-id: rest-1"])
    assert status == 200 and headers["x-request-id"] == "rest-1"
    answer = json.loads(body)
    check("GenerateResponse", answer)
    assert answer["content"] == "Echo: hi there" and answer["model"] == "gemma3:4b"


@pytest.mark.parametrize("http2", [False, True])
def test_generate_sse_stream(gateway, http2):
    status, headers, body = curl(gateway, "POST", "/api/v1/generate",
                                 {"model": "frontier", "prompt": "stream me", "stream": True}, http2)
    assert status == 200 and headers["content-type"] == "text/event-stream"
    assert headers["cache-control"] == "no-cache"
    events = [e for e in body.split("\n\n") if e]
    chunks = [json.loads(e.removeprefix("data: ")) for e in events]
    for chunk in chunks:
        check("GenerateChunk", chunk)
    assert "".join(c["content"] for c in chunks) == "Echo: stream me"
    assert [c["done"] for c in chunks].count(True) == 1 and chunks[-1]["done"]
    assert chunks[-1]["finish_reason"] == "stop" and chunks[-1]["tokens_output"] == 3


def test_sse_error_event_after_the_stream_began(gateway):
    status, _, body = curl(gateway, "POST", "/api/v1/generate",
                           {"model": "large", "prompt": "a b fault:error_after=2", "stream": True})
    assert status == 200
    events = [e for e in body.split("\n\n") if e]
    assert events[-1].startswith("event: error\ndata: ")
    error = json.loads(events[-1].split("data: ", 1)[1])
    check("Error", error)
    assert error["error"]["code"] == "provider_error"
    assert not any('"done":true' in e for e in events)


def test_embed(gateway):
    status, _, body = curl(gateway, "POST", "/api/v1/embed", {"model": "embedding", "input": ["a b", "c"]})
    assert status == 200
    check("EmbedResponse", json.loads(body))


@pytest.mark.parametrize("http2", [False, True])
def test_models_and_model_names_with_colons_and_slashes(gateway, http2):
    status, _, body = curl(gateway, "GET", "/api/v1/models", http2=http2)
    assert status == 200
    listing = json.loads(body)
    check("ListModelsResponse", listing)
    assert listing["aliases"]["large"] == "openai/gpt-oss-20b"
    for path in ["/api/v1/models/openai/gpt-oss-20b", "/api/v1/models/openai%2Fgpt-oss-20b", "/api/v1/models/large"]:
        status, _, body = curl(gateway, "GET", path, http2=http2)
        assert status == 200
        check("ModelInfo", json.loads(body))
        assert json.loads(body)["name"] == "openai/gpt-oss-20b"
    status, _, body = curl(gateway, "GET", "/api/v1/models/gemma3%3A4b")
    assert json.loads(body)["name"] == "gemma3:4b"
    status, _, body = curl(gateway, "GET", "/api/v1/models?provider=anthropic")
    assert [m["name"] for m in json.loads(body)["models"]] == ["claude-sonnet-4-20250514"]


def test_health_endpoints_and_usage(gateway):
    status, _, body = curl(gateway, "GET", "/api/v1/health")
    assert status == 200
    check("Liveness", json.loads(body))
    status, _, body = curl(gateway, "GET", "/api/v1/health/detailed")
    assert status == 200
    check("HealthResponse", json.loads(body))
    status, _, body = curl(gateway, "GET", "/api/v1/usage")
    assert status == 200
    check("UsageResponse", json.loads(body))


@pytest.mark.parametrize("method, path, body, status, code", [
    ("POST", "/api/v1/generate", "{not json", 400, "malformed_request"),
    ("POST", "/api/v1/generate", {"prompt": "no model"}, 422, "invalid_request"),
    ("POST", "/api/v1/generate", {"model": "tiny"}, 422, "invalid_request"),
    ("POST", "/api/v1/generate", {"model": "tiny", "prompt": "p", "temperature": 3}, 422, "invalid_request"),
    ("POST", "/api/v1/generate", {"model": "tiny", "prompt": "p", "metadata": {"n": 1}}, 422, "invalid_request"),
    ("POST", "/api/v1/generate", {"model": "nope", "prompt": "p"}, 404, "not_found"),
    ("GET", "/api/v1/nowhere", None, 404, "not_found"),
    ("GET", "/api/v1/models/nope", None, 404, "not_found"),
    ("PUT", "/api/v1/generate", None, 405, "method_not_allowed"),
    ("POST", "/api/v1/generate", {"model": "large", "prompt": "fault:http429"}, 429, "rate_limited"),
    ("POST", "/api/v1/generate", {"model": "large", "prompt": "fault:http500"}, 502, "provider_error"),
    ("POST", "/api/v1/generate", {"model": "frontier", "prompt": "fault:http401"}, 502, "provider_error"),
    ("POST", "/api/v1/generate", {"model": "lonely", "prompt": "p"}, 503, "no_provider_available"),
    ("POST", "/api/v1/generate", {"model": "tiny", "prompt": "fault:slow_first=4000"}, 504, "provider_timeout"),
    ("POST", "/api/v1/generate", {"model": "tiny", "prompt": "x" * 70000}, 413, "payload_too_large"),
    ("POST", "/api/v1/embed", {"model": "tiny", "input": ["x"]}, 422, "invalid_request"),
])
def test_errors_have_the_contract_status_and_body(gateway, method, path, body, status, code):
    got, headers, payload = curl(gateway, method, path, body, headers=["x-request-id: err-1"])
    assert got == status, payload
    error = json.loads(payload)
    check("Error", error)
    assert error["error"]["code"] == code
    assert error["error"]["request_id"] == headers["x-request-id"]
    if status == 405:
        assert headers["allow"] == "POST"
    if status == 429:
        assert headers["retry-after"] == "7"


def test_every_response_carries_a_request_id(gateway):
    for path in ["/api/v1/health", "/api/v1/models", "/api/v1/nowhere"]:
        _, headers, _ = curl(gateway, "GET", path)
        assert len(headers["x-request-id"]) == 36


def test_an_sse_client_that_goes_away_cancels_the_upstream_within_100ms(gateway):
    import socket
    import time
    fake = gateway.fakes["anthropic"]
    before = len(fake.disconnects())
    body = json.dumps({"model": "frontier", "prompt": "fault:tokens=500 fault:delay=30", "stream": True}).encode()
    sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    sock.sendall(b"POST /api/v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    received = b""
    while received.count(b"data: ") < 3:
        received += sock.recv(4096)
    sock.close()  # the client goes away mid-stream
    closed_at = time.monotonic()
    deadline = closed_at + 3
    while time.monotonic() < deadline and len(fake.disconnects()) == before:
        time.sleep(0.01)
    events = fake.disconnects()
    assert len(events) > before, "the upstream stream was not cancelled"
    assert events[-1]["at"] - closed_at < 0.1


SLOW_STREAM_TOKENS = 4000  # ~700 KB of events: more than the server's 256 KiB outbound budget and the socket buffers


def expect_the_whole_slow_stream(payload):
    chunks = [json.loads(e.removeprefix("data: ")) for e in payload.split("\n\n") if e.startswith("data: ")]
    text = "".join(c["content"] for c in chunks)
    assert text == " ".join(f"tok{i}" for i in range(SLOW_STREAM_TOKENS)), "chunks were lost, reordered or repeated"
    assert chunks[-1]["done"] and chunks[-1]["tokens_output"] == SLOW_STREAM_TOKENS


def test_a_client_that_reads_slowly_still_gets_the_whole_stream_http1(gateway):
    """The client reads far slower than the provider sends: the gateway's output reaches its budget, so the
    relay stops pushing chunks, waits for room, and pushes again (curl pauses meanwhile) — and every chunk
    arrives, in order, with the end."""
    import socket
    body = json.dumps({"model": "frontier", "prompt": f"fault:tokens={SLOW_STREAM_TOKENS}", "stream": True}).encode()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server cannot run ahead
    sock.settimeout(30)
    sock.connect(("127.0.0.1", gateway.port))
    sock.sendall(b"POST /api/v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    received = bytearray()
    while True:
        piece = sock.recv(2048)  # a slow reader: small reads, each a round trip through Python
        if not piece:
            break
        received += piece
    sock.close()
    head, _, chunked = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    payload, rest = b"", chunked
    while True:  # undo the chunked transfer coding
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        payload += rest[:size]
        rest = rest[size + 2:]
    expect_the_whole_slow_stream(payload.decode())


def test_a_client_that_reads_slowly_still_gets_the_whole_stream_http2(gateway):
    """The same over HTTP/2, read by curl at a limited rate: the stream's buffered output reaches its budget."""
    out = subprocess.run(
        ["curl", "-sS", "--http2-prior-knowledge", "--limit-rate", "400k", "-H", "content-type: application/json",
         "--data-binary", json.dumps({"model": "frontier", "prompt": f"fault:tokens={SLOW_STREAM_TOKENS}",
                                      "stream": True}), gateway.url + "/api/v1/generate"],
        capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    expect_the_whole_slow_stream(out.stdout.decode())
