#!/usr/bin/env python3
"""A fake LLM provider speaking one real wire format: Ollama, OpenAI-compatible (vLLM) or Anthropic.

Standard library only, so Swift tests and pytest can both start it:
    fake_upstream.py --kind ollama|openai|anthropic [--port 0] [--models a,b] [--api-key K]
It prints `listening on 127.0.0.1:PORT` once it accepts connections.

Answers are deterministic: the reply to a prompt is "Echo: <prompt>" cut into word tokens
(input tokens = words of every message). Directives anywhere in the prompt inject faults:
    fault:http500 fault:http429 fault:http401 fault:http404   an error status with the provider's error body
    fault:hang                    accept the request and never answer (until the client goes away)
    fault:slow_first=MS           wait before the response head and first token
    fault:delay=MS                wait between tokens
    fault:reset_after=N           send N tokens, then reset the connection (RST)
    fault:error_after=N           send N tokens, then the provider's in-stream error (then end)
    fault:split                   write the stream one byte at a time (splits lines and UTF-8 characters)
    fault:keepalive               SSE comment lines between events (ping events for Anthropic)
    fault:length                  finish because of the token limit
    fault:tokens=N                reply with exactly N tokens ("tok0 tok1 ...")
    fault:cached=N                report N prompt tokens as served from cache
    fault:fail_first=N            answer 500 to the first N requests with this exact body, then normally
    fault:slow_content=MS         (OpenAI chat stream) send the head and the role-only delta at once, then wait
    fault:endless_line            start a stream, then send bytes without any line break (up to 64 MiB)
    fault:huge_body               answer 200 with a body of 64 MiB (JSON that never ends)
    fault:endless_head            answer 200 with header lines that never end (up to 16 MiB)
    fault:huge_usage              (Ollama) report 9e15 prompt and completion tokens
    fault:close_idle              answer normally (the connection kept alive as far as the client knows), then close it
    fault:conn_close              answer with `connection: close` (the client closes the connection)
Tools, JSON output and images, in each provider's own wire format: with tools offered, a last user message
holding `use:NAME` (one or more, for parallel calls) makes the model call each named tool with
{"city": "Zürich", "n": <index>}; a forced tool choice calls that tool (arguments shaped by its schema); a
conversation that ends with a tool result answers "Tool said: <result>"; a JSON response format answers a
JSON object (shaped by the schema when one is given); images are decoded and named in the echo
("[image image/png 68 bytes]"). Streamed tool arguments arrive in 3-character pieces.

Reasoning in each provider's own fields: asked for (OpenAI `reasoning_effort`, Ollama `think`, Anthropic
`thinking`), the model first reasons "Thinking about <last text>." — OpenAI-compatible as `reasoning_content`
deltas (`reasoning` for gpt-oss models) before the content and `completion_tokens_details.reasoning_tokens`,
Ollama as `thinking`, Anthropic as a `thinking` block with a signature (fault:redacted adds a
`redacted_thinking` block). Anthropic refuses what its API refuses with thinking on (temperature, top_k, a
forced tool) and a thinking block sent back whose signature is not the one it gave. fault:cache_write=N
reports N prompt tokens written to Anthropic's cache.

GET /_fake/stats returns the peak number of generation requests handled at once.
GET /_fake/log returns what the fake saw: requests (path, body), GETs (path) and client disconnects with
time.monotonic() stamps (the same clock as the tests' CLOCK_MONOTONIC).
"""

import argparse
import json
import re
import select
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def dumps(value):
    """Compact JSON, as Ollama, vLLM and Anthropic write it on the wire."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


LOG = []
LOG_LOCK = threading.Lock()
SEEN = {}          # request body -> times seen, for fail_first
GENERATION_PATHS = {"/api/generate", "/api/chat", "/api/embed", "/v1/chat/completions", "/v1/completions",
                    "/v1/embeddings", "/v1/messages"}
IN_FLIGHT = [0, 0]  # now, peak


def log(entry):
    entry["at"] = time.monotonic()
    with LOG_LOCK:
        LOG.append(entry)


def directives(text):
    found = {}
    for name, value in re.findall(r"fault:([a-z_0-9]+)(?:=(\d+))?", text):
        found[name] = int(value) if value else True
    return found


class ClientGone(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-upstream"

    def log_message(self, *args):  # keep test output clean
        pass

    # ---- plumbing -------------------------------------------------------------------------------

    def read_json(self):
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def done_in_flight(self):
        """The request stops counting as in flight before its answer goes out: once the client has read the
        answer it may rightly send the next request, possibly before this thread runs again."""
        if getattr(self, "in_flight", False):
            self.in_flight = False
            with LOG_LOCK:
                IN_FLIGHT[0] -= 1

    def send_json(self, status, body, headers=()):
        self.done_in_flight()
        data = dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in list(headers) + getattr(self, "extra_headers", []):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, content_type):
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data):
        if self.faults.get("split"):
            for i in range(len(data)):
                self._raw_chunk(data[i:i + 1])
        else:
            self._raw_chunk(data)

    def _raw_chunk(self, data):
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.client_gone()

    def end_stream(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.client_gone()

    def client_gone(self):
        log({"event": "disconnect", "path": self.path})
        raise ClientGone()

    def wait(self, milliseconds):
        """Sleeps, but notices at once when the client closes the connection."""
        deadline = time.monotonic() + milliseconds / 1000
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.005))
            if readable:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        self.client_gone()
                except (ConnectionResetError, OSError):
                    self.client_gone()

    def reset(self):
        """Closes with RST: SO_LINGER on, zero timeout."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
        log({"event": "reset", "path": self.path})

    # ---- routing --------------------------------------------------------------------------------

    def do_GET(self):
        if self.path == "/_fake/log":
            with LOG_LOCK:
                return self.send_json(200, {"log": LOG})
        if self.path == "/_fake/stats":
            with LOG_LOCK:
                return self.send_json(200, {"peak_in_flight": IN_FLIGHT[1]})
        self.faults = {}
        log({"event": "get", "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
        self.route("GET", None)

    def do_POST(self):
        body = self.read_json()
        if body is None:
            return self.send_json(400, {"error": "invalid JSON"})
        log({"event": "request", "path": self.path, "body": body,
             "headers": {k.lower(): v for k, v in self.headers.items()}})
        text = json.dumps(body, sort_keys=True)
        self.faults = directives(text)
        self.extra_headers = [("connection", "close")] if self.faults.get("conn_close") else []
        # Peak concurrency counts generation calls only (not discovery's /api/show).
        self.in_flight = self.path.split("?")[0] in GENERATION_PATHS
        with LOG_LOCK:
            SEEN[text] = SEEN.get(text, 0) + 1
            self.seen = SEEN[text]
            if self.in_flight:
                IN_FLIGHT[0] += 1
                IN_FLIGHT[1] = max(IN_FLIGHT)
        try:
            self.route("POST", body)
            if self.faults.get("close_idle"):
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                log({"event": "closed_idle", "path": self.path})
        except ClientGone:
            self.close_connection = True
        finally:
            self.done_in_flight()

    def route(self, method, body):
        kind = self.server.kind
        if kind == "anthropic" and self.path.startswith("/v1/") and self.headers.get("x-api-key") != self.server.api_key:
            return self.send_json(401, {"type": "error", "error": {
                "type": "authentication_error", "message": "invalid x-api-key"}})
        handler = ROUTES.get((kind, method, self.path.split("?")[0]))
        if handler is None:
            return self.send_json(404, {"error": f"no route {method} {self.path}"})
        if method == "POST" and self.common_faults():
            return
        handler(self, body)

    def common_faults(self):
        """Status-code faults and delays that look the same for every kind; True when answered."""
        f = self.faults
        if "hang" in f:
            try:
                self.wait(60_000)
            except ClientGone:
                pass
            return True
        if "slow_first" in f:
            self.wait(f["slow_first"])
        if "endless_head" in f:
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for index in range(16 * 1024):
                    self.wfile.write(b"X-Pad-%d: %s\r\n" % (index, b"p" * 1000))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.client_gone()
            self.close_connection = True
            return True
        if "endless_line" in f or "huge_body" in f:
            streamed = "endless_line" in f
            self.start_stream("application/x-ndjson" if self.server.kind == "ollama" and streamed else
                              "text/event-stream" if streamed else "application/json")
            filler = (b'{"x":"' if not streamed else b"data: {\"x\":\"") + b"a" * (1 << 20)
            for _ in range(64):
                self._raw_chunk(filler)
                filler = b"a" * (1 << 20)
            self.end_stream()
            return True
        if self.seen <= f.get("fail_first", 0):
            self.send_json(500, ERROR_BODIES[self.server.kind](500))
            return True
        for code in (500, 429, 401, 404):
            if f"http{code}" in f:
                headers = [("retry-after", "7")] if code == 429 else []
                self.send_json(code, ERROR_BODIES[self.server.kind](code), headers)
                return True
        return False

    # ---- the reply ------------------------------------------------------------------------------

    def reply_tokens(self, messages):
        message = messages[-1] if messages else {}
        last = message.get("content") or ""
        if isinstance(last, list):  # OpenAI content parts or Anthropic content blocks
            text = ""
            for block in last:
                kind = block.get("type")
                if kind == "text":
                    text += block.get("text", "")
                elif kind == "image_url":
                    url = block["image_url"]["url"]
                    text += describe_image(url.split(",", 1)[1]) if url.startswith("data:") else f" [image {url}]"
                elif kind == "image" and block["source"]["type"] == "base64":
                    text += describe_image(block["source"]["data"])
                elif kind == "tool_result":
                    return ["Tool said: " + str(block.get("content"))]
            last = text
        if message.get("role") == "tool":
            return ["Tool said: " + last]
        for image in message.get("images") or []:  # Ollama
            last += describe_image(image)
        if "tokens" in self.faults:
            words = [f"tok{i}" for i in range(self.faults["tokens"])]
        else:
            words = ("Echo: " + last).split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]

    def input_tokens(self, messages, system=""):
        text = system + " " + " ".join(m["content"] if isinstance(m.get("content"), str) else "" for m in messages)
        return len(text.split())

    def token_delay(self):
        if "delay" in self.faults:
            self.wait(self.faults["delay"])

    def stream_tokens(self, tokens, emit, fail):
        """Calls emit(token) per token, honouring delay, reset_after and error_after; False if cut."""
        for index, token in enumerate(tokens):
            if self.faults.get("reset_after") == index:
                self.reset()
                return False
            if self.faults.get("error_after") == index:
                fail()
                return False
            if index > 0:
                self.token_delay()
            emit(token)
        return True


# ---- tools, JSON output, images: what the fake model does beyond echoing ----------------------------

import base64

MAGIC = [(b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif")]


def sniff(data):
    for magic, media in MAGIC:
        if data.startswith(magic):
            return media
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "unknown"


def describe_image(b64):
    data = base64.b64decode(b64)
    return f" [image {sniff(data)} {len(data)} bytes]"


def sample(schema, text):
    """A value that follows `schema` (the fake's idea of structured output)."""
    kind = (schema or {}).get("type")
    if kind == "object" or "properties" in (schema or {}):
        props = (schema or {}).get("properties") or {}
        return {k: sample(v, text) for k, v in props.items()} if props else {"answer": text}
    return {"string": text, "integer": 1, "number": 1.5, "boolean": True, "array": []}.get(kind, text)


def tool_arguments(index, schema=None, forced=False):
    if forced and schema and schema.get("properties"):
        return sample(schema, "x")
    return {"city": "Zürich", "n": index}


def plan_calls(tools, text, forced=None):
    """[(name, arguments)] the fake calls: the forced tool, else each `use:NAME` naming an offered tool."""
    schemas = {name: schema for name, schema in tools}
    if forced:
        name = forced if forced in schemas else (next(iter(schemas)) if schemas else None)
        return [(name, tool_arguments(0, schemas.get(name), forced=True))] if name else []
    names = [n for n in re.findall(r"use:([A-Za-z0-9_-]+)", text) if n in schemas]
    return [(name, tool_arguments(i)) for i, name in enumerate(names)]


def last_text(messages):
    content = (messages[-1].get("content") if messages else "") or ""
    if isinstance(content, list):
        return "".join(block.get("text", "") for block in content if block.get("type") == "text")
    return content


def json_answer(fmt_schema, text):
    """The JSON text a JSON-output request gets: shaped by the schema when there is one."""
    return dumps(sample(fmt_schema, text) if fmt_schema else {"echo": text})


def thought(messages):
    return "Thinking about " + last_text(messages) + "."


def signature(text):
    import hashlib
    return "sig-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def pieces(text, size=3):
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


# ---- Ollama: /api/generate, /api/chat (NDJSON), /api/tags, /api/show, /api/embed ------------------

def ollama_stats(h, messages, tokens, system=""):
    if "huge_usage" in h.faults:
        return {"prompt_eval_count": 9_000_000_000_000_000, "eval_count": 9_000_000_000_000_000}
    return {"total_duration": 5_000_000, "load_duration": 1_000_000,
            "prompt_eval_count": h.input_tokens(messages, system), "prompt_eval_duration": 1_000_000,
            "eval_count": len(tokens), "eval_duration": 3_000_000}


def ollama_generate(h, body, chat):
    messages = body.get("messages") if chat else [{"role": "user", "content": body.get("prompt", "")}]
    system = "" if chat else body.get("system", "")
    model = body.get("model", "")
    if model not in h.server.models:
        return h.send_json(404, {"error": f"model \"{model}\" not found, try pulling it first"})
    tokens = h.reply_tokens(messages)
    reason = "length" if "length" in h.faults else "stop"
    stamp = "2026-11-27T10:00:00.000000000Z"
    fmt = body.get("format")
    if fmt:
        tokens = pieces(json_answer(fmt if isinstance(fmt, dict) else None, last_text(messages)))
    tools = [(t["function"]["name"], t["function"].get("parameters")) for t in body.get("tools") or []]
    calls = plan_calls(tools, last_text(messages)) if chat and messages and messages[-1].get("role") != "tool" else []
    if calls:
        return ollama_tool_calls(h, body, model, messages, calls, stamp)
    thinking = pieces(thought(messages), 5) if body.get("think") not in (None, False) else []

    def piece(text):
        return {"model": model, "created_at": stamp, **(
            {"message": {"role": "assistant", "content": text}} if chat else {"response": text}), "done": False}

    final = {"model": model, "created_at": stamp,
             **({"message": {"role": "assistant", "content": ""}} if chat else {"response": ""}),
             "done": True, "done_reason": reason, **ollama_stats(h, messages, tokens, system)}
    if not chat:
        final["context"] = [1, 2, 3]
    if body.get("stream", True) is False:
        text = "".join(tokens)
        final = dict(final)
        if chat:
            final["message"] = {"role": "assistant", "content": text}
            if thinking:
                final["message"]["thinking"] = "".join(thinking)
        else:
            final["response"] = text
            if thinking:
                final["thinking"] = "".join(thinking)
        return h.send_json(200, final)
    h.start_stream("application/x-ndjson")
    for piece_text in thinking:
        line = {"model": model, "created_at": stamp, "done": False}
        if chat:
            line["message"] = {"role": "assistant", "content": "", "thinking": piece_text}
        else:
            line.update({"response": "", "thinking": piece_text})
        h.write_chunk(dumps(line).encode() + b"\n")
    ok = h.stream_tokens(tokens, lambda t: h.write_chunk(dumps(piece(t)).encode() + b"\n"),
                         lambda: (h.write_chunk(b'{"error":"an error was encountered while running the model"}\n'),
                                  h.end_stream()))
    if ok:
        h.write_chunk(dumps(final).encode() + b"\n")
        h.end_stream()


def ollama_tool_calls(h, body, model, messages, calls, stamp):
    """Ollama returns each call whole, arguments as an object, without ids."""
    message = {"role": "assistant", "content": "",
               "tool_calls": [{"function": {"name": name, "arguments": args}} for name, args in calls]}
    final = {"model": model, "created_at": stamp, "message": {"role": "assistant", "content": ""}, "done": True,
             "done_reason": "stop", **ollama_stats(h, messages, ["x"] * 5 * len(calls))}
    if body.get("stream", True) is False:
        return h.send_json(200, {**final, "message": message})
    h.start_stream("application/x-ndjson")
    h.write_chunk(dumps({"model": model, "created_at": stamp, "message": message, "done": False}).encode() + b"\n")
    h.write_chunk(dumps(final).encode() + b"\n")
    h.end_stream()


def ollama_tags(h, _):
    h.send_json(200, {"models": [{
        "name": m, "model": m, "modified_at": "2026-11-01T10:00:00Z", "size": 3338801804,
        "digest": "a2af6cc3eb7fa8be8504abaf9b04e88f17a119ec3f04a3addf55f92841195f5a",
        "details": {"parent_model": "", "format": "gguf", "family": "gemma3", "families": ["gemma3"],
                    "parameter_size": "4.3B", "quantization_level": "Q4_K_M"}} for m in h.server.models]})


def ollama_show(h, body):
    model = body.get("model") or body.get("name")
    if model not in h.server.models:
        return h.send_json(404, {"error": f"model \"{model}\" not found, try pulling it first"})
    caps = ["embedding"] if "embed" in model else ["completion"] + ([] if "notools" in model else ["tools"]) + (
        ["vision"] if "vision" in model else [])
    h.send_json(200, {"modelfile": "FROM x", "parameters": "", "template": "{{ .Prompt }}",
                      "details": {"format": "gguf", "family": "gemma3"},
                      "model_info": {"general.architecture": "gemma3", "gemma3.context_length": 131072},
                      "capabilities": caps})


def ollama_embed(h, body):
    model = body.get("model", "")
    if model not in h.server.models:
        return h.send_json(404, {"error": f"model \"{model}\" not found, try pulling it first"})
    inputs = body.get("input", [])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    h.send_json(200, {"model": model, "embeddings": [fake_vector(t) for t in inputs],
                      "total_duration": 14143917, "load_duration": 1019500,
                      "prompt_eval_count": sum(len(t.split()) for t in inputs)})


def fake_vector(text):
    """A deterministic 4-dimensional vector: the tests can check which text it came from."""
    return [float(len(text)), float(len(text.split())), 0.5, -0.25]


# ---- OpenAI-compatible: /v1/chat/completions, /v1/completions (SSE), /v1/models, /v1/embeddings ---

def openai_complete(h, body, chat):
    model = body.get("model", "")
    if model not in h.server.models:
        return h.send_json(404, {"object": "error", "message": f"The model `{model}` does not exist.",
                                 "type": "NotFoundError", "param": None, "code": 404})
    messages = body.get("messages") if chat else [{"role": "user", "content": body.get("prompt", "")}]
    tokens = h.reply_tokens(messages)
    reason = "length" if "length" in h.faults else "stop"
    fmt = body.get("response_format") or {}
    if fmt.get("type") in ("json_object", "json_schema"):
        tokens = pieces(json_answer((fmt.get("json_schema") or {}).get("schema"), last_text(messages)))
    tools = [(t["function"]["name"], t["function"].get("parameters")) for t in body.get("tools") or []]
    choice = body.get("tool_choice")
    forced = choice["function"]["name"] if isinstance(choice, dict) else (True if choice == "required" else None)
    calls = [] if choice == "none" or messages[-1].get("role") == "tool" else plan_calls(tools, last_text(messages), forced)
    if calls:
        return openai_tool_calls(h, body, model, messages, calls)
    reasoning = pieces(thought(messages), 5) if chat and body.get("reasoning_effort") not in (None, "none") else []
    field = "reasoning" if "gpt-oss" in model else "reasoning_content"
    usage = {"prompt_tokens": h.input_tokens(messages), "completion_tokens": len(tokens) + len(reasoning),
             "total_tokens": h.input_tokens(messages) + len(tokens) + len(reasoning)}
    if reasoning:
        usage["completion_tokens_details"] = {"reasoning_tokens": len(reasoning)}
    if "cached" in h.faults:
        usage["prompt_tokens_details"] = {"cached_tokens": h.faults["cached"]}
    ident, created = "chatcmpl-fake123", 1764237600
    obj = "chat.completion" if chat else "text_completion"
    if not body.get("stream"):
        text = "".join(tokens)
        message = {"role": "assistant", "content": text}
        if reasoning:
            message[field] = "".join(reasoning)
        choice = ({"index": 0, "message": message, "logprobs": None,
                   "finish_reason": reason} if chat else
                  {"index": 0, "text": text, "logprobs": None, "finish_reason": reason})
        return h.send_json(200, {"id": ident, "object": obj, "created": created, "model": model,
                                 "choices": [choice], "usage": usage})
    h.start_stream("text/event-stream; charset=utf-8")
    chunk_obj = "chat.completion.chunk" if chat else "text_completion"

    def event(payload):
        if h.faults.get("keepalive"):
            h.write_chunk(b": keep-alive\n\n")
        h.write_chunk(b"data: " + dumps(payload).encode() + b"\n\n")

    def delta(text, finish=None, first=False):
        if chat:
            d = {"role": "assistant", "content": text} if first else {"content": text}
            choice = {"index": 0, "delta": d, "logprobs": None, "finish_reason": finish}
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
        return {"id": ident, "object": chunk_obj, "created": created, "model": model, "choices": [choice]}

    if chat:
        event(delta("", first=True))
    for piece_text in reasoning:  # vLLM streams the reasoning before any content
        event({"id": ident, "object": chunk_obj, "created": created, "model": model, "choices": [
            {"index": 0, "delta": {field: piece_text}, "logprobs": None, "finish_reason": None}]})
    if "slow_content" in h.faults:
        h.write_chunk(b": keep-alive\n\n")
        h.wait(h.faults["slow_content"])
    ok = h.stream_tokens(tokens, lambda t: event(delta(t)),
                         lambda: (event({"error": {"message": "upstream model crashed", "type": "InternalServerError",
                                                   "code": 500}}), h.end_stream()))
    if not ok:
        return
    event(delta("", finish=reason))
    include_usage = (body.get("stream_options") or {}).get("include_usage")
    if include_usage:
        event({"id": ident, "object": chunk_obj, "created": created, "model": model, "choices": [], "usage": usage})
    h.write_chunk(b"data: [DONE]\n\n")
    h.end_stream()


def openai_tool_calls(h, body, model, messages, calls):
    """Whole calls in `message.tool_calls`; streamed as OpenAI does: per call a first piece with id, type and
    name (arguments ""), then the arguments in pieces, calls one after another; finish_reason tool_calls."""
    ident, created = "chatcmpl-fake123", 1764237600
    usage = {"prompt_tokens": h.input_tokens(messages), "completion_tokens": 5 * len(calls),
             "total_tokens": h.input_tokens(messages) + 5 * len(calls)}
    ids = [f"call_{i}fakeXy" for i in range(len(calls))]
    if not body.get("stream"):
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": ids[i], "type": "function", "function": {"name": name, "arguments": dumps(args)}}
            for i, (name, args) in enumerate(calls)]}
        return h.send_json(200, {"id": ident, "object": "chat.completion", "created": created, "model": model,
                                 "choices": [{"index": 0, "message": message, "logprobs": None,
                                              "finish_reason": "tool_calls"}], "usage": usage})
    h.start_stream("text/event-stream; charset=utf-8")

    def event(delta, finish=None):
        h.write_chunk(b"data: " + dumps({"id": ident, "object": "chat.completion.chunk", "created": created,
                                         "model": model, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                                      "finish_reason": finish}]}).encode() + b"\n\n")

    for i, (name, args) in enumerate(calls):
        first = {"index": i, "id": ids[i], "type": "function", "function": {"name": name, "arguments": ""}}
        event({"role": "assistant", "content": None, "tool_calls": [first]} if i == 0 else {"tool_calls": [first]})
        for piece in pieces(dumps(args)):
            event({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    event({}, finish="tool_calls")
    if (body.get("stream_options") or {}).get("include_usage"):
        h.write_chunk(b"data: " + dumps({"id": ident, "object": "chat.completion.chunk", "created": created,
                                         "model": model, "choices": [], "usage": usage}).encode() + b"\n\n")
    h.write_chunk(b"data: [DONE]\n\n")
    h.end_stream()


def openai_models(h, _):
    h.send_json(200, {"object": "list", "data": [
        {"id": m, "object": "model", "created": 1764237600, "owned_by": "vllm", "root": m, "parent": None,
         "max_model_len": 131072} for m in h.server.models]})


def openai_embeddings(h, body):
    inputs = body.get("input", [])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    tokens = sum(len(t.split()) for t in inputs)
    h.send_json(200, {"object": "list", "model": body.get("model"), "data": [
        {"object": "embedding", "index": i, "embedding": fake_vector(t)} for i, t in enumerate(inputs)],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


# ---- Anthropic: /v1/messages (SSE events), /v1/models ----------------------------------------------

def anthropic_messages(h, body):
    model = body.get("model", "")
    if model not in h.server.models:
        return h.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": f"model: {model}"}})
    if "max_tokens" not in body:
        return h.send_json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                              "message": "max_tokens: Field required"}})
    messages = body.get("messages", [])
    system = body.get("system", "")
    thinking_on = (body.get("thinking") or {}).get("type") == "enabled"
    refusal = anthropic_thinking_refusal(body, messages, thinking_on)
    if refusal:
        return h.send_json(400, {"type": "error", "error": {"type": "invalid_request_error", "message": refusal}})
    tokens = h.reply_tokens(messages)
    reason = "max_tokens" if "length" in h.faults else "end_turn"
    tools = [(t["name"], t.get("input_schema")) for t in body.get("tools") or []]
    choice = body.get("tool_choice") or {}
    forced = choice.get("name") if choice.get("type") == "tool" else (True if choice.get("type") == "any" else None)
    last = messages[-1] if messages else {}
    answered = isinstance(last.get("content"), list) and any(b.get("type") == "tool_result" for b in last["content"])
    calls = [] if choice.get("type") == "none" or answered else plan_calls(tools, last_text(messages), forced)
    thinking = thought(messages) if thinking_on else None
    if calls:
        return anthropic_tool_calls(h, body, model, messages, system, calls, forced is not None, thinking)
    usage_in = h.input_tokens(messages, system)
    cached = h.faults.get("cached", 0)
    written = h.faults.get("cache_write", 0)
    if not body.get("stream"):
        return h.send_json(200, {
            "id": "msg_fake01", "type": "message", "role": "assistant", "model": model,
            "content": anthropic_thinking_blocks(h, thinking) + [{"type": "text", "text": "".join(tokens)}],
            "stop_reason": reason, "stop_sequence": None,
            "usage": {"input_tokens": usage_in, "output_tokens": len(tokens),
                      "cache_read_input_tokens": cached, "cache_creation_input_tokens": written}})
    h.start_stream("text/event-stream; charset=utf-8")

    def event(name, payload):
        h.write_chunk(f"event: {name}\ndata: {dumps(payload)}\n\n".encode())

    event("message_start", {"type": "message_start", "message": {
        "id": "msg_fake01", "type": "message", "role": "assistant", "content": [], "model": model,
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": usage_in, "output_tokens": 1, "cache_read_input_tokens": cached,
                  "cache_creation_input_tokens": written}}})
    index = anthropic_stream_thinking(h, event, thinking)
    event("content_block_start", {"type": "content_block_start", "index": index,
                                  "content_block": {"type": "text", "text": ""}})
    event("ping", {"type": "ping"})

    def token(text):
        if h.faults.get("keepalive"):
            event("ping", {"type": "ping"})
        event("content_block_delta", {"type": "content_block_delta", "index": index,
                                      "delta": {"type": "text_delta", "text": text}})

    ok = h.stream_tokens(tokens, token, lambda: (event("error", {"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}), h.end_stream()))
    if not ok:
        return
    event("content_block_stop", {"type": "content_block_stop", "index": index})
    event("message_delta", {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None},
                            "usage": {"output_tokens": len(tokens)}})
    event("message_stop", {"type": "message_stop"})
    h.end_stream()


def anthropic_thinking_refusal(body, messages, thinking_on):
    """What the real API refuses: with thinking on, a temperature other than 1, top_k, or a forced tool; and
    a thinking block sent back whose signature is not the one given for it."""
    if thinking_on:
        if body.get("temperature", 1) != 1:
            return "temperature may only be set to 1 when thinking is enabled"
        if "top_k" in body:
            return "top_k is not supported when thinking is enabled"
        if (body.get("tool_choice") or {}).get("type") in ("tool", "any"):
            return "Thinking may not be enabled when tool_choice forces tool use."
    for message in messages:
        for block in message.get("content") if isinstance(message.get("content"), list) else []:
            if block.get("type") == "thinking" and block.get("signature") != signature(block.get("thinking", "")):
                return "messages: invalid signature in thinking block"
    return None


def anthropic_thinking_blocks(h, thinking):
    if thinking is None:
        return []
    blocks = [{"type": "thinking", "thinking": thinking, "signature": signature(thinking)}]
    if "redacted" in h.faults:
        blocks.append({"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw"})
    return blocks


def anthropic_stream_thinking(h, event, thinking):
    """The thinking blocks of a stream (thinking_delta pieces, then the signature_delta); the next index."""
    index = 0
    for block in anthropic_thinking_blocks(h, thinking):
        if block["type"] == "redacted_thinking":
            event("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})
        else:
            event("content_block_start", {"type": "content_block_start", "index": index,
                                          "content_block": {"type": "thinking", "thinking": ""}})
            for piece in pieces(block["thinking"], 7):
                event("content_block_delta", {"type": "content_block_delta", "index": index,
                                              "delta": {"type": "thinking_delta", "thinking": piece}})
            event("content_block_delta", {"type": "content_block_delta", "index": index,
                                          "delta": {"type": "signature_delta", "signature": block["signature"]}})
        event("content_block_stop", {"type": "content_block_stop", "index": index})
        index += 1
    return index


def anthropic_tool_calls(h, body, model, messages, system, calls, forced, thinking=None):
    """`tool_use` blocks (after a short text block unless the tool was forced); streamed with
    content_block_start (input {}), input_json_delta pieces (the first one empty) and content_block_stop."""
    usage_in = h.input_tokens(messages, system)
    ids = [f"toolu_0{i}FakeAbc" for i in range(len(calls))]
    text = [] if forced else ["Checking."]
    if not body.get("stream"):
        content = anthropic_thinking_blocks(h, thinking) + [{"type": "text", "text": t} for t in text] + [
            {"type": "tool_use", "id": ids[i], "name": name, "input": args} for i, (name, args) in enumerate(calls)]
        return h.send_json(200, {"id": "msg_fake02", "type": "message", "role": "assistant", "model": model,
                                 "content": content, "stop_reason": "tool_use", "stop_sequence": None,
                                 "usage": {"input_tokens": usage_in, "output_tokens": 5 * len(calls),
                                           "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}})
    h.start_stream("text/event-stream; charset=utf-8")

    def event(name, payload):
        h.write_chunk(f"event: {name}\ndata: {dumps(payload)}\n\n".encode())

    event("message_start", {"type": "message_start", "message": {
        "id": "msg_fake02", "type": "message", "role": "assistant", "content": [], "model": model,
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": usage_in, "output_tokens": 1, "cache_read_input_tokens": 0,
                  "cache_creation_input_tokens": 0}}})
    index = anthropic_stream_thinking(h, event, thinking)
    for t in text:
        event("content_block_start", {"type": "content_block_start", "index": index,
                                      "content_block": {"type": "text", "text": ""}})
        event("content_block_delta", {"type": "content_block_delta", "index": index,
                                      "delta": {"type": "text_delta", "text": t}})
        event("content_block_stop", {"type": "content_block_stop", "index": index})
        index += 1
    for i, (name, args) in enumerate(calls):
        event("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
            "type": "tool_use", "id": ids[i], "name": name, "input": {}}})
        for piece in [""] + pieces(dumps(args)):
            event("content_block_delta", {"type": "content_block_delta", "index": index,
                                          "delta": {"type": "input_json_delta", "partial_json": piece}})
        event("content_block_stop", {"type": "content_block_stop", "index": index})
        index += 1
    event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                            "usage": {"output_tokens": 5 * len(calls)}})
    event("message_stop", {"type": "message_stop"})
    h.end_stream()


def anthropic_models(h, _):
    h.send_json(200, {"data": [{"type": "model", "id": m, "display_name": m, "created_at": "2025-05-14T00:00:00Z"}
                               for m in h.server.models], "has_more": False,
                      "first_id": h.server.models[0] if h.server.models else None,
                      "last_id": h.server.models[-1] if h.server.models else None})


ERROR_BODIES = {
    "ollama": lambda code: {"error": {500: "llama runner process has terminated", 429: "server busy",
                                      401: "unauthorized", 404: "model not found"}[code]},
    "openai": lambda code: {"object": "error", "message": f"fake error {code}", "type": {
        500: "InternalServerError", 429: "RateLimitError", 401: "AuthenticationError", 404: "NotFoundError"}[code],
        "param": None, "code": code},
    "anthropic": lambda code: {"type": "error", "error": {"type": {
        500: "api_error", 429: "rate_limit_error", 401: "authentication_error", 404: "not_found_error"}[code],
        "message": f"fake error {code}"}},
}

ROUTES = {
    ("ollama", "POST", "/api/generate"): lambda h, b: ollama_generate(h, b, chat=False),
    ("ollama", "POST", "/api/chat"): lambda h, b: ollama_generate(h, b, chat=True),
    ("ollama", "GET", "/api/tags"): ollama_tags,
    ("ollama", "POST", "/api/show"): ollama_show,
    ("ollama", "POST", "/api/embed"): ollama_embed,
    ("openai", "POST", "/v1/chat/completions"): lambda h, b: openai_complete(h, b, chat=True),
    ("openai", "POST", "/v1/completions"): lambda h, b: openai_complete(h, b, chat=False),
    ("openai", "GET", "/v1/models"): openai_models,
    ("openai", "POST", "/v1/embeddings"): openai_embeddings,
    ("anthropic", "POST", "/v1/messages"): anthropic_messages,
    ("anthropic", "GET", "/v1/models"): anthropic_models,
}


def main():
    # A parent may start us with SIGTERM blocked (Foundation's Process does): make stopping us work.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["ollama", "openai", "anthropic"], required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--models", default="")
    parser.add_argument("--api-key", default="test-key")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.kind = args.kind
    server.models = [m for m in args.models.split(",") if m]
    server.api_key = args.api_key
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
