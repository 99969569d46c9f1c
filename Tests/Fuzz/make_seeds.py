#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into Tests/Fuzz/Corpus/<target>/seed-*.

Seeds are well-formed (and a few malformed) examples of what each parser reads, in the byte layout its
target expects (see Tests/Fuzz/FuzzTargets): most targets take a first byte that picks how the rest is cut
into pieces, or which message or provider it is. Inputs found by fuzzing are kept beside the seeds under
other names; this script only rewrites seed-* files. Standard library only."""

import gzip
import json
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
from h2raw import DATA, END_HEADERS, END_STREAM, HEADERS, PING, RST_STREAM, SETTINGS, WINDOW_UPDATE, frame, headers_block  # noqa: E402

ROOT = HERE.parents[1]


def write(target, seeds):
    folder = HERE / "Corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    for index, seed in enumerate(seeds):
        (folder / f"seed-{index:02d}").write_bytes(seed)


def http1():
    requests = [
        b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /api/v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 33\r\n\r\n"
        b'{"model":"echo","prompt":"hello"}',
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET / HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
        b"POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
    ]
    return [bytes([seed]) + request for seed, request in zip([0, 3, 1, 50, 7, 0, 2, 9], requests)]


def http2():
    def request(stream, path, body=b"", end=True):
        block = headers_block([(":method", "POST" if body else "GET"), (":path", path), (":scheme", "http"),
                               (":authority", "x"), ("content-type", "application/grpc"), ("te", "trailers")])
        frames = frame(HEADERS, END_HEADERS | (END_STREAM if not body and end else 0), stream, block)
        if body:
            frames += frame(DATA, END_STREAM if end else 0, stream, body)
        return frames

    settings = frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535))
    return [
        b"\x00" + settings + request(1, "/api/v1/health"),
        b"\x05" + settings + request(1, "/modelgateway.v1.ModelGateway/ListModels", b"\x00\x00\x00\x00\x00")
        + request(3, "/x", b"abc", end=False) + frame(DATA, END_STREAM, 3, b"def"),
        b"\x01" + settings + frame(PING, 0, 0, b"12345678") + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1000))
        + request(1, "/a", b"z" * 100, end=False) + frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
        b"\x02" + settings + frame(HEADERS, 0, 1, b"\x00\x05:path\x01/"),  # headers without END_HEADERS
        b"\x00" + b"".join(request(s, "/s", b"q" * 10) for s in range(1, 40, 2)),
    ]


def framed(payload, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(payload)) + payload


def grpc_framing():
    return [
        b"\x00" + framed(b"\x0a\x04echo"),
        b"\x03" + framed(gzip.compress(b"\x0a\x04echo" * 10, mtime=0), compressed=True) + framed(b""),
        b"\x01" + framed(b"x" * 300)[:200],
        b"\x00" + b"\x01\xff\xff\xff\xff",
        b"\x00" + framed(gzip.compress(b"\x00" * 200_000, mtime=0), compressed=True),
        b"99999999H",
        b"5S%41%zz%",
    ]


def varint(value):
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def field(number, payload):
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def protobuf():
    generate = field(1, b"echo") + field(2, b"hello") + field(3, b"be brief") + field(6, b"STOP") \
        + field(7, field(1, b"k") + field(2, b"v"))
    return [
        b"\x00" + generate,
        b"\x00" + field(1, b"tiny") + field(9, field(1, b"user") + field(2, b"hi")),
        b"\x01" + field(1, b"ollama-gpu"),
        b"\x02" + field(1, b"openai/gpt-oss-20b"),
        b"\x03" + field(1, 1),
        b"\x04" + field(1, b"embedding") + field(2, b"one") + field(2, b"two"),
        b"\x05",
        b"\x06" + field(1, b"modelgateway.v1.ModelGateway"),
        b"\x07" + field(1, b"localhost") + field(7, b""),
        b"\x00" + b"\x0a\xff\xff\xff\xff\x0f",
    ]


def jsons():
    docs = [
        {"model": "echo", "prompt": "hello", "temperature": 0.5, "max_tokens": 20, "stop_sequences": ["x"],
         "metadata": {"a": "b"}, "stream": True},
        {"model": "tiny", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "é😀"}],
         "top_p": 0.9},
        {"model": "embedding", "input": ["a", "b"]},
        {"model": "embedding", "input": "one"},
        {"model": "m", "messages": [
            {"role": "user", "parts": [{"text": "see"}, {"image": {"data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"}}]},
            {"role": "assistant", "tool_calls": [{"id": "c", "name": "f", "arguments": "{\"a\": 1}"}]},
            {"role": "tool", "tool_call_id": "c", "content": "ok"}],
         "tools": [{"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}],
         "tool_choice": {"mode": "tool", "name": "f"},
         "response_format": {"type": "json_schema", "schema": {"type": "object"}, "name": "r", "strict": True}},
        {"model": "m", "n": 1, "stop": "x", "max_completion_tokens": 5, "stream_options": {"include_usage": True},
         "messages": [{"role": "developer", "content": "s"}, {"role": "user", "content": [
             {"type": "text", "text": "t"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]},
             {"role": "assistant", "content": None, "tool_calls": [
                 {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
             {"role": "tool", "tool_call_id": "c", "content": "r"}],
         "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
         "tool_choice": {"type": "function", "function": {"name": "f"}},
         "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}}},
        {"model": "m", "max_tokens": 9, "system": [{"type": "text", "text": "s"}], "stream": True,
         "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64",
                                                                                "media_type": "image/png", "data": "AAAA"}}]},
                      {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}]},
                      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                                    "content": [{"type": "text", "text": "ok"}]}]}],
         "tools": [{"name": "f", "input_schema": {"type": "object"}}], "tool_choice": {"type": "any"}},
        {"model": "e", "input": ["a", "b"], "encoding_format": "base64"},
        {"model": "m", "prompt": "p", "tool_choice": "required", "tools": [{"name": "x y"}],
         "messages": [{"role": "user", "parts": [{"image": {"url": "data:image/png;base64,AAAA"}}]}]},
        [1, -2.5e-3, True, None, "\u0000\ud83d\ude00", {"nested": [[[]]]}],
    ]
    return [json.dumps(doc).encode() for doc in docs] + [
        b'{"a":1,}', b"[" * 200, b'"\\ud800"', b"\xff\xfe{}", b"123456789012345678901234567890",
    ]


def streams():
    openai = (b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant",'
              b'"content":""},"finish_reason":null}]}\n\n: keep-alive\n\n'
              b'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n'
              b'data: {"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}]}\n\n'
              b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,'
              b'"prompt_tokens_details":{"cached_tokens":9e15}}}\n\ndata: [DONE]\n\n')
    anthropic = (b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","usage":'
                 b'{"input_tokens":5,"cache_read_input_tokens":2,"output_tokens":1}}}\n\n'
                 b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
                 b'"content_block":{"type":"text","text":""}}\n\nevent: ping\ndata: {"type":"ping"}\n\n'
                 b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
                 b'"delta":{"type":"text_delta","text":"Hello"}}\n\n'
                 b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
                 b'"usage":{"output_tokens":-7}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n')
    ollama = (b'{"model":"m","message":{"role":"assistant","content":"Hi"},"done":false}\r\n\n'
              b'{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop",'
              b'"prompt_eval_count":1e300,"eval_count":2}\n')
    openai_tools = (b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":'
                    b'[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}\n\n'
                    b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":'
                    b'"{\\"a\\""}}]}}]}\n\ndata: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":'
                    b'"call_2","function":{"name":"g","arguments":":1}"}}]},"finish_reason":"tool_calls"}]}\n\n'
                    b'data: [DONE]\n\n')
    anthropic_tools = (b'event: content_block_start\ndata: {"type":"content_block_start","index":1,'
                       b'"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}\n\n'
                       b'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,'
                       b'"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":"}}\n\n'
                       b'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n'
                       b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"}}\n\n'
                       b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    ollama_tools = (b'{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f",'
                    b'"arguments":{"a":1}}},{"id":"x","function":{"name":"g","arguments":"{}"}}]},"done":false}\n'
                    b'{"done":true,"done_reason":"stop"}\n')
    return [b"\x00" + openai, b"\x01" + anthropic, b"\x02" + ollama, b"\x04" + openai, b"\x05" + anthropic,
            b"\x06" + ollama, b"\x00" + openai_tools, b"\x01" + anthropic_tools, b"\x03" + anthropic_tools,
            b"\x02" + ollama_tools,
            b'\x00data: {"choices":[{"index":0,"delta":{"reasoning_content":"a","reasoning":"b"}}]}\n\n'
            b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"x"}]}\n\n'
            b'data: {"choices":[],"usage":{"completion_tokens_details":{"reasoning_tokens":3}}}\n\ndata: [DONE]\n\n',
            b'\x01event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":1,'
            b'"cache_creation_input_tokens":9}}}\n\nevent: content_block_start\ndata: {"type":"content_block_start",'
            b'"index":0,"content_block":{"type":"redacted_thinking","data":"x"}}\n\nevent: content_block_delta\n'
            b'data: {"type":"content_block_delta","index":1,"delta":{"type":"thinking_delta","thinking":"t"}}\n\n'
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":'
            b'{"type":"signature_delta","signature":"s"}}\n\n',
            b'\x02{"message":{"content":"","thinking":"t"},"done":false}\n{"thinking":"u","done":true}\n', b'\x00data: {"error":{"message":"overloaded"}}\n\n', b"\x02" + b"a" * 5000,
            b'\x01event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"busy"}}\n\n']


def media():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    return [b"image/png;base64,iVBORw0KGgoAAAAAAAAAAA==", b"image/gif;base64,R0lGODlhAQABAAAAACw=",
            b"image/webp;base64,UklGRgAAAABXRUJQ", b"x;base64,@@@@", b"AAA=", b"QUJD", b"QQ==", b"Q===", png,
            b"\xff\xd8\xff\xe0", b"RIFF\x00\x00\x00\x00WEBPVP8 "]


def configs():
    seeds = [(ROOT / "config" / "model-gateway.yaml").read_bytes()]
    seeds.append(b"providers:\n  - {name: b, type: builtin}\nmodels:\n  - {name: m, provider: b, tier: tiny, "
                 b"aliases: [t], fallbacks: [m], pricing: {input_per_mtok: 1}}\n")
    seeds.append(b"server: {port: 99999}\n")
    seeds.append(b"providers: [{name: x, type: ollama, endpoint: ${NOPE:-http://127.0.0.1:1}, max_event_bytes: 1}]\n")
    seeds.append(b"a: &x [*x]\n")
    return seeds


def resp():
    return [b"\x00+OK\r\n:0\r\n:1500\r\n", b"\x05$3\r\nabc\r\n*2\r\n:1\r\n$-1\r\n", b"\x01-ERR NOSCRIPT\r\n",
            b"\x00$9223372036854775807\r\n", b"\x02" + b"*1\r\n" * 12, b"\x00*3\r\n:1\r\n"]


def answers():
    """Whole provider answers (the target reads every input as each provider's): JSON bodies, no prefix."""
    bodies = [
        {"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": {
            "role": "assistant", "content": "Hi", "reasoning_content": "hm", "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}},
                {"id": "b", "type": "function", "function": {"name": "g", "arguments": {"y": 2}}}]},
            "finish_reason": "tool_calls", "stop_reason": None}],
         "usage": {"prompt_tokens": 7, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 4},
                   "completion_tokens_details": {"reasoning_tokens": 1}}},
        {"choices": [{"text": "done", "finish_reason": "length"}], "usage": {"prompt_tokens": -1e300}},
        {"id": "msg", "type": "message", "content": [
            {"type": "thinking", "thinking": "hm", "signature": "s"}, {"type": "text", "text": "Hi"},
            {"type": "tool_use", "id": "t", "name": "json_answer", "input": {"ok": True}},
            {"type": "tool_use", "id": "u", "name": "f", "input": {}}],
         "stop_reason": "tool_use", "stop_sequence": None,
         "usage": {"input_tokens": 3, "cache_read_input_tokens": 1e20, "cache_creation_input_tokens": 5,
                   "output_tokens": 2}},
        {"model": "m", "message": {"role": "assistant", "content": "", "thinking": "t", "tool_calls": [
            {"function": {"name": "f", "arguments": {"q": "x"}}}]},
         "done": True, "done_reason": "stop", "prompt_eval_count": 4, "eval_count": 9},
        {"model": "m", "response": "text", "done": True, "done_reason": "length"},
        {"error": "model 'x' not found"},
        {"error": {"type": "overloaded_error", "message": "Overloaded"}},
        {"object": "list", "data": [{"object": "embedding", "index": 1, "embedding": [0.5, -1]},
                                    {"object": "embedding", "index": 0, "embedding": [1e39, 2]}],
         "usage": {"prompt_tokens": 6}},
        {"embeddings": [[0.1, 0.2], []], "prompt_eval_count": 3},
        {"data": [{"id": "a", "max_model_len": 4096}, {"id": 7}], "models": [{"name": "llama3"}],
         "model_info": {"llama.context_length": 8192}, "capabilities": ["completion", "tools", "vision"]},
    ]
    return [json.dumps(body).encode() for body in bodies] + [b'{"choices":[{"message":{"content":"a"}}]', b"429"]


if __name__ == "__main__":
    write("http1", http1())
    write("http2", http2())
    write("grpc-framing", grpc_framing())
    write("protobuf", protobuf())
    write("json", jsons())
    write("streams", streams())
    write("config", configs())
    write("resp", resp())
    write("media", media())
    write("answers", answers())
    print("seeds written under", HERE / "Corpus")
