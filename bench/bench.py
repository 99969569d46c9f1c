"""make bench: the gateway measured side by side with a direct call and one nginx proxy hop, on loopback.

Paths: (a) straight to the fake upstream (nginx with fixed OpenAI-compatible answers), (b) through an nginx
proxy_pass hop with upstream keep-alive (the reference), (c) through model-gateway: REST over HTTP/1.1
(wrk) and HTTP/2 (h2load), gRPC unary (h2load), and streamed SSE. CPU per request comes from /proc (the
proxy's processes only). Also: idle RSS, RSS with 10,000 idle HTTP/2 connections, start-up time, and the
RPC server's own echo ceiling. Prints a table and writes bench/results.json. Timing lives here only.
"""

import argparse
import json
import os
import pathlib
import re
import resource
import shutil
import socket
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
TICKS = os.sysconf("SC_CLK_TCK")
CONCURRENCY = 32

CHAT_ANSWER = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1764237600, "model": "bench-model",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "The sky is blue because of Rayleigh scattering."},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}}, separators=(",", ":"))
STREAM_CHUNKS = 200


def sse_body():
    events = []
    for i in range(STREAM_CHUNKS):
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "bench-model",
                 "choices": [{"index": 0, "delta": {"content": f"t{i} "}, "finish_reason": None}]}
        events.append("data: " + json.dumps(chunk, separators=(",", ":")))
    events.append("data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "bench-model",
                                         "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, separators=(",", ":")))
    events.append("data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "bench-model",
                                         "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": STREAM_CHUNKS}},
                                        separators=(",", ":")))
    events.append("data: [DONE]")
    return "".join(e + "\n\n" for e in events)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            pass
    return total / TICKS


def rss_mib(pid):
    text = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


class Nginx:
    """One nginx instance (its own master); `pids` are its workers, whose CPU is the proxy's cost."""

    def __init__(self, name, server_block):
        self.dir = OUT / name
        self.dir.mkdir(parents=True, exist_ok=True)
        for sub in ["logs", "tmp"]:
            (self.dir / sub).mkdir(exist_ok=True)
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
worker_processes auto;
pid {self.dir}/nginx.pid;
error_log {self.dir}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/tmp;
    proxy_temp_path {self.dir}/tmp;
    fastcgi_temp_path {self.dir}/tmp;
    uwsgi_temp_path {self.dir}/tmp;
    scgi_temp_path {self.dir}/tmp;
    keepalive_requests 1000000;
    {server_block}
}}
""")
        subprocess.run(["nginx", "-c", str(conf), "-p", str(self.dir)], check=True)
        self.pid_file = self.dir / "nginx.pid"
        deadline = time.monotonic() + 5
        while not self.pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.master = int(self.pid_file.read_text())

    @property
    def pids(self):
        children = pathlib.Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
        return [int(p) for p in children]

    def stop(self):
        subprocess.run(["kill", "-QUIT", str(self.master)])


class Server:
    """A binary that prints `listening on HOST:PORT` when ready."""

    def __init__(self, argv, env=None):
        started = time.monotonic()
        self.stderr = open(OUT / f"{pathlib.Path(argv[0]).name}.stderr", "w")
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=env)
        line = self.process.stdout.readline()
        self.startup_ms = (time.monotonic() - started) * 1000
        if not line.startswith("listening on "):
            raise RuntimeError(f"{argv[0]} did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        self.pids = [self.process.pid]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def parse_latency(text, unit_line):
    """wrk --latency percentiles in milliseconds."""
    def ms(value):
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    found = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
    return ms(found["50"]), ms(found["99"])


def wrk(url, body, seconds):
    script = OUT / "post.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n')
    result = subprocess.run(["wrk", "-t", "1", "-c", str(CONCURRENCY), "-d", f"{seconds}s", "--latency", "-s", str(script), url],
                            capture_output=True, text=True, timeout=seconds + 30)
    out = result.stdout
    if "requests in" not in out:
        raise RuntimeError(f"wrk against {url} failed: {out} {result.stderr}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?): (\d+)", out))
    p50, p99 = parse_latency(out, "")
    return {"requests": requests, "failed": errors, "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": p50, "p99_ms": p99}


def grpc_call_succeeds(url, body):
    """h2load counts a gRPC error (HTTP 200 with a non-zero grpc-status trailer) as a success: check one call."""
    out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-H", "content-type: application/grpc", "-H",
                          "te: trailers", "--data-binary", f"@{body}", "-o", "/dev/null", "-D", "-", url],
                         capture_output=True, text=True, timeout=30).stdout
    if "grpc-status: 0" not in out:
        raise RuntimeError(f"the gRPC call to {url} failed: {out}")


def h2load(url, requests, data=None, headers=(), streams=1):
    argv = ["h2load", "-n", str(requests), "-c", str(CONCURRENCY), "-m", str(streams), "-t", "1"]
    if data:
        argv += ["-d", str(data)]
    for header in headers:
        argv += ["-H", header]
    out = subprocess.run(argv + [url], capture_output=True, text=True, timeout=300).stdout
    done = re.search(r"(\d+) succeeded, (\d+) failed", out)
    rps = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    lat = re.search(r"time for request:\s+([\d.]+)(\w+)\s+([\d.]+)(\w+)\s+([\d.]+)(\w+)", out)
    to_ms = lambda v, u: float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
    ok = int(re.search(r"status codes: (\d+) 2xx", out).group(1))  # "succeeded" counts error statuses too
    return {"requests": ok, "failed": int(done.group(1)) + int(done.group(2)) - ok, "requests_per_s": float(rps.group(1)),
            "mean_ms": to_ms(lat.group(5), lat.group(6)) if lat else None}


def measured(pids, run):
    before = cpu_seconds(pids)
    result = run()
    if result["failed"]:
        raise RuntimeError(f"{result['failed']} requests failed: {result}")
    result["cpu_us_per_request"] = round((cpu_seconds(pids) - before) * 1e6 / max(result["requests"], 1), 2)
    result["rss_mib_after"] = round(sum(rss_mib(pid) for pid in pids), 1)
    return result


def grpc_generate_body(model=b"bench-model"):
    prompt = b"Why is the sky blue?"
    message = b"\x0a" + bytes([len(model)]) + model + b"\x12" + bytes([len(prompt)]) + prompt
    path = OUT / f"generate-{model.decode()}.bin"
    path.write_bytes(b"\x00" + len(message).to_bytes(4, "big") + message)
    return path


def idle_connections(port, count):
    """Opens `count` HTTP/2 connections (preface + SETTINGS) and keeps them idle; returns the sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(preface)
        sockets.append(s)
    for s in sockets:  # the server's SETTINGS arrived: the connection is fully set up on its side
        s.settimeout(5)
        s.recv(64)
    return sockets


PACED_STREAMS, PACED_RATE, PACED_CHUNKS = 1_000, 100, 300
# The 1,000-stream p99 moves by ±30% between runs on two shared cores (how the scheduler splits them among
# the upstream, the proxy and the load client), so each path runs this many times, interleaved, and the
# run with the median p99 is the one reported.
PACED_ROUNDS = 3


class Callgrind:
    """One server under callgrind, ready when it accepts connections on `port` (valgrind starts slowly).
    `measure(run)` counts the instructions the server executes while `run` runs: the figure that does not
    move with the machine's load (CPU time on two shared cores varies by ±15% between runs)."""

    def __init__(self, argv, port, env=None):
        for old in OUT.glob("callgrind.out*"):
            old.unlink()
        self.process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={OUT / 'callgrind.out'}", *argv],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, preexec_fn=raise_fd_limit)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{argv[0]} did not start under valgrind")
                time.sleep(0.1)

    def measure(self, run):
        pid = str(self.process.pid)
        subprocess.run(["callgrind_control", "-z", pid], capture_output=True, check=True)
        run()
        subprocess.run(["callgrind_control", "-d", pid], capture_output=True, check=True)
        dump = max(OUT.glob("callgrind.out.*"), key=lambda path: path.stat().st_mtime)
        return int(re.search(r"^(?:summary|totals): (\d+)", dump.read_text(errors="replace"), re.M).group(1))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


# Connections of the load under callgrind. Four by default; one (CALLGRIND_CLIENTS=1) makes every request
# wake the loop on its own, which costs ~2 k instructions more but moves ±0.3% between runs instead of ±1.5%:
# the setting for comparing two builds.
CALLGRIND_CLIENTS = os.environ.get("CALLGRIND_CLIENTS", "4")


def callgrind_instructions(argv, port, path, body, env=None, grpc=False, requests=2000):
    """Instructions per request of one server under callgrind (`argv` serves `path` on `port`), after a
    warm-up of a fifth as many. `body` is a JSON value sent over HTTP/1.1, or with `grpc` the path of a
    framed message sent over h2c."""
    server = Callgrind(argv, port, env)
    try:
        if grpc:
            load = ["h2load", "-c", CALLGRIND_CLIENTS, "-t", "1", "-d", str(body), "-H", "content-type: application/grpc", "-H",
                    "te: trailers", f"http://127.0.0.1:{port}{path}"]
        else:
            (OUT / "callgrind-body.json").write_text(json.dumps(body))
            load = ["h2load", "--h1", "-c", CALLGRIND_CLIENTS, "-t", "1", "-d", str(OUT / "callgrind-body.json"), "-H",
                    "content-type: application/json", f"http://127.0.0.1:{port}{path}"]
        subprocess.run(load + ["-n", str(requests // 5)], capture_output=True, check=True, timeout=300)

        def run():
            out = subprocess.run(load + ["-n", str(requests)], capture_output=True, text=True, check=True,
                                 timeout=300).stdout
            if f"{requests} 2xx" not in out:  # h2load counts error answers as "succeeded"
                raise RuntimeError(f"requests failed under valgrind: {out}")
        return server.measure(run) // requests
    finally:
        server.stop()


def instructions_per_chunk(binary, config, env, paced_config_for):
    """Instructions per streamed chunk: a 200-chunk answer that arrives at once (per request / 201, the last
    chunk with the totals included) through each front door; and a paced chunk alone in its wake-up of the
    loop, curl and the relay's task: 10 streams at PACED_RATE chunks/s, once with 100 and once with 300 chunks
    each, the difference over the 2,000 chunks between (so without each stream's own set-up)."""
    def argv(port, config=config):
        return [str(binary), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    chat = {"model": "bench-stream", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    burst = {}
    for name, path, body, grpc in [
        ("gateway_sse", "/api/v1/generate", {"model": "bench-stream", "prompt": "hi", "stream": True}, False),
        ("gateway_grpc_stream", "/modelgateway.v1.ModelGateway/StreamGenerate",
         grpc_generate_body(b"bench-stream"), True),
        ("gateway_openai_sse", "/v1/chat/completions", chat, False),
        ("gateway_anthropic_sse", "/v1/messages", {**chat, "max_tokens": 64}, False),
    ]:
        port = free_port()
        per_request = callgrind_instructions(argv(port), port, path, body, env, grpc=grpc, requests=200)
        burst[name] = round(per_request / (STREAM_CHUNKS + 1))
    totals = []
    body = {"model": "paced", "prompt": "hi", "stream": True}
    for chunks in (100, 300):
        upstream = PacedUpstream(str(OUT / "streamload"), free_port(), chunks)
        port = free_port()
        server = Callgrind(argv(port, paced_config_for(upstream.port)), port, env)

        def load():
            if upstream.load(port, "/api/v1/generate", body, streams=10)["failed"]:
                raise RuntimeError("paced streams failed under valgrind")
        try:
            load()  # warm-up
            totals.append(server.measure(load))
        finally:
            server.stop()
            upstream.stop()
    return {"burst_200_chunks": burst, "paced_wake_up": round((totals[1] - totals[0]) / (10 * 200))}


def instructions_per_request(bin_dir, config, env, gateway_body, upstream_port, openai_body):
    """The gateway and the nginx hop under callgrind, the same unary request through each."""
    binary = OUT / "model-gateway.stripped"  # valgrind cannot read this toolchain's DWARF 5; symbols suffice
    shutil.copy(bin_dir / "model-gateway", binary)
    subprocess.run(["strip", "-g", str(binary)], check=True)
    def gateway_argv(port):
        return [str(binary), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    port = free_port()
    gateway = callgrind_instructions(gateway_argv(port), port, "/api/v1/generate", gateway_body, env)
    port = free_port()
    grpc = callgrind_instructions(gateway_argv(port), port, "/modelgateway.v1.ModelGateway/Generate",
                                  grpc_generate_body(), env, grpc=True)
    port = free_port()
    openai_format = callgrind_instructions(gateway_argv(port), port, "/v1/chat/completions", openai_body, env)
    port = free_port()
    anthropic_format = callgrind_instructions(gateway_argv(port), port, "/v1/messages", {**openai_body, "max_tokens": 64}, env)
    hop = OUT / "proxy-callgrind"
    (hop / "logs").mkdir(parents=True, exist_ok=True)
    port = free_port()
    (hop / "nginx.conf").write_text(f"""
worker_processes 1;
master_process off;
daemon off;
pid {hop}/nginx.pid;
error_log {hop}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {hop}; proxy_temp_path {hop};
    upstream fake {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://fake; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }}
    }}
}}
""")
    nginx = callgrind_instructions(["nginx", "-c", str(hop / "nginx.conf"), "-p", str(hop)], port,
                                   "/v1/chat/completions", openai_body)
    return {"gateway_rest_http1": gateway, "gateway_grpc": grpc, "gateway_openai_http1": openai_format,
            "gateway_anthropic_http1": anthropic_format, "nginx_hop": nginx,
            "ratio": round(gateway / nginx, 1)}


class PacedUpstream:
    """bench/streamload.c in `serve` mode: SSE streams paced at PACED_RATE chunks/s, each chunk time-stamped."""

    def __init__(self, binary, port, chunks=PACED_CHUNKS):
        self.binary, self.port, self.chunks = binary, port, chunks
        self.process = subprocess.Popen([binary, "serve", str(port), str(chunks), str(PACED_RATE)],
                                        stdout=subprocess.PIPE, text=True, preexec_fn=raise_fd_limit)
        if not self.process.stdout.readline().startswith("listening on "):
            raise RuntimeError("streamload serve did not start")
        self.pids = [self.process.pid]

    def load(self, port, path, body, streams=PACED_STREAMS):
        """Opens `streams` paced streams at once through `port`; one-way chunk delay and inter-chunk gaps, and
        the cores the load client and this fake upstream kept busy meanwhile (they share the proxy's two)."""
        client_before, fake_before = resource.getrusage(resource.RUSAGE_CHILDREN), cpu_seconds(self.pids)
        started = time.monotonic()
        out = subprocess.run([self.binary, "load", "127.0.0.1", str(port), path, json.dumps(body), str(streams),
                              str(self.chunks)], capture_output=True, text=True, timeout=120, preexec_fn=raise_fd_limit)
        wall = time.monotonic() - started
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the load client is the only child reaped
        if not out.stdout.strip():
            raise RuntimeError(f"streamload load failed: {out.stderr}")
        result = json.loads(out.stdout)
        client = (client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
        result["load_client_cores"] = round(client / wall, 2)
        result["fake_upstream_cores"] = round((cpu_seconds(self.pids) - fake_before) / wall, 2)
        result["failed"], result["requests"] = result["failed_streams"], result["chunks_measured"]
        return result

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def paced_streams(paced, gateway, proxy, proxy_paced_port):
    """1,000 concurrent streams at 100 chunks/s: direct, through nginx, through the gateway (and fewer streams
    through the gateway, to show what it holds). CPU per chunk counts every chunk the proxy relayed. Direct,
    nginx and the gateway take turns, PACED_ROUNDS times; each reports its median round by p99, with every
    round's p99 beside it, and its CPU per chunk over all rounds."""
    openai_body = {"model": "paced", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    gateway_body = {"model": "paced", "prompt": "hi", "stream": True}
    paths = {
        "direct": lambda: measured(paced.pids, lambda: paced.load(paced.port, "/v1/chat/completions", openai_body)),
        "nginx_hop": lambda: measured(
            proxy.pids, lambda: paced.load(proxy_paced_port, "/v1/chat/completions", openai_body)),
        "gateway_sse": lambda: measured(
            gateway.pids, lambda: paced.load(gateway.port, "/api/v1/generate", gateway_body)),
    }
    rounds = {name: [] for name in paths}
    for _ in range(PACED_ROUNDS):
        for name, run in paths.items():
            rounds[name].append(run())
    runs = {}
    for name, results in rounds.items():
        ordered = sorted(results, key=lambda r: r["delay_p99_ms"])
        cpu_seconds = sum(r["cpu_us_per_request"] * r["requests"] for r in results) / 1e6
        chunks = sum(r["streams"] * r["chunks_per_stream"] for r in results)
        runs[name] = dict(
            ordered[len(ordered) // 2],
            delay_p99_ms_rounds=[r["delay_p99_ms"] for r in results],
            # CPU over every round: one round's figure moves as much as its p99 does.
            cpu_us_per_chunk=round(cpu_seconds * 1e6 / chunks, 2),
        )
    runs["gateway_sse_250_streams"] = measured(
        gateway.pids, lambda: paced.load(gateway.port, "/api/v1/generate", gateway_body, streams=250))
    for run in runs.values():
        if "cpu_us_per_chunk" not in run:
            chunks = run["streams"] * run["chunks_per_stream"]
            run["cpu_us_per_chunk"] = round(run["cpu_us_per_request"] * run["requests"] / chunks, 2)
        del run["failed"], run["requests"], run["cpu_us_per_request"]
    direct = runs["direct"]["delay_p99_ms"]
    for run in runs.values():
        run["added_delay_p99_ms"] = round(run["delay_p99_ms"] - direct, 3)
    return runs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", default=str(ROOT / ".build" / "release"))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--idle", type=int, default=10_000)
    args = parser.parse_args()
    bin_dir = pathlib.Path(args.bin_dir)
    OUT.mkdir(parents=True, exist_ok=True)
    results, notes = {}, []

    upstream_port, stream_port, proxy_port, proxy_stream_port = free_port(), free_port(), free_port(), free_port()
    paced_port, proxy_paced_port = free_port(), free_port()
    paced = PacedUpstream(str(OUT / "streamload"), paced_port)
    (OUT / "sse.txt").write_text(sse_body())
    upstream = Nginx("upstream", f"""
    server {{
        listen 127.0.0.1:{upstream_port} reuseport;
        location = /v1/chat/completions {{ default_type application/json; return 200 '{CHAT_ANSWER}'; }}
        location = /v1/models {{ default_type application/json; return 200 '{{"object":"list","data":[{{"id":"bench-model","object":"model"}}]}}'; }}
    }}
    server {{
        listen 127.0.0.1:{stream_port} reuseport;
        # A static file answers POST with 405; error_page turns that into the file itself, with 200.
        location = /v1/chat/completions {{ default_type text/event-stream; alias {OUT}/sse.txt; error_page 405 =200 $uri; }}
        location = /v1/models {{ default_type application/json; return 200 '{{"object":"list","data":[{{"id":"bench-stream","object":"model"}}]}}'; }}
    }}""")
    proxy = Nginx("proxy", f"""
    upstream fake {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
    upstream fake_stream {{ server 127.0.0.1:{stream_port}; keepalive 64; }}
    upstream fake_paced {{ server 127.0.0.1:{paced_port}; }}
    server {{
        listen 127.0.0.1:{proxy_port} reuseport;
        location / {{ proxy_pass http://fake; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }}
    }}
    server {{
        listen 127.0.0.1:{proxy_stream_port} reuseport;
        location / {{ proxy_pass http://fake_stream; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }}
    }}
    server {{
        listen 127.0.0.1:{proxy_paced_port} reuseport;
        location / {{ proxy_pass http://fake_paced; proxy_http_version 1.1; proxy_buffering off; }}
    }}""")
    config = OUT / "gateway.yaml"
    config.write_text(f"""
server: {{port: 0}}
providers:
  - {{name: bench, type: openai, endpoint: "http://127.0.0.1:{upstream_port}/v1", max_concurrency: 1024}}
  - {{name: bench-streams, type: openai, endpoint: "http://127.0.0.1:{stream_port}/v1", max_concurrency: 1024}}
  - {{name: bench-paced, type: openai, endpoint: "http://127.0.0.1:{paced_port}/v1", max_concurrency: 4096}}
  - {{name: builtin, type: builtin}}
models:
  - {{name: bench-model, provider: bench}}
  - {{name: bench-stream, provider: bench-streams}}
  - {{name: paced, provider: bench-paced}}
discovery: {{probe_interval_s: 3600}}
""")
    env = dict(os.environ, LOG_LEVEL="warn")
    gateway = Server([str(bin_dir / "model-gateway"), "--config", str(config), "--host", "127.0.0.1", "--port", "0"], env=env)
    time.sleep(0.3)
    results["gateway_idle_rss_mib"] = round(rss_mib(gateway.process.pid), 1)
    results["gateway_startup_ms"] = round(gateway.startup_ms, 1)
    body = {"model": "bench-model", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}
    try:
        direct_url = f"http://127.0.0.1:{upstream_port}/v1/chat/completions"
        proxy_url = f"http://127.0.0.1:{proxy_port}/v1/chat/completions"
        gw_rest = f"http://127.0.0.1:{gateway.port}/api/v1/generate"
        gw_body = {"model": "bench-model", "prompt": "Why is the sky blue?"}
        for url, payload in [(direct_url, body), (proxy_url, body), (gw_rest, gw_body)]:  # warm-up
            wrk(url, json.dumps(payload), 1)
        runs = {}
        gw_openai = f"http://127.0.0.1:{gateway.port}/v1/chat/completions"
        gw_anthropic = f"http://127.0.0.1:{gateway.port}/v1/messages"
        anthropic_body = {**body, "max_tokens": 64}
        for round_ in range(2):  # alternate the paths, keep each one's best round
            for name, url, payload, pids in [("direct", direct_url, body, upstream.pids),
                                             ("nginx_hop", proxy_url, body, proxy.pids),
                                             ("gateway_rest_http1", gw_rest, gw_body, gateway.pids),
                                             ("gateway_openai_http1", gw_openai, body, gateway.pids),
                                             ("gateway_anthropic_http1", gw_anthropic, anthropic_body, gateway.pids)]:
                result = measured(pids, lambda: wrk(url, json.dumps(payload), args.seconds))
                if name not in runs or result["requests_per_s"] > runs[name]["requests_per_s"]:
                    runs[name] = result
        (OUT / "gw_body.json").write_text(json.dumps(gw_body))
        runs["gateway_rest_http2"] = measured(gateway.pids, lambda: h2load(
            gw_rest, 50_000, OUT / "gw_body.json", ["content-type: application/json"]))
        for method, model in [("Generate", b"bench-model"), ("StreamGenerate", b"bench-stream")]:
            grpc_call_succeeds(f"http://127.0.0.1:{gateway.port}/modelgateway.v1.ModelGateway/{method}",
                               grpc_generate_body(model))
        runs["gateway_grpc_unary"] = measured(gateway.pids, lambda: h2load(
            f"http://127.0.0.1:{gateway.port}/modelgateway.v1.ModelGateway/Generate", 50_000, grpc_generate_body(),
            ["content-type: application/grpc", "te: trailers"]))
        # Both over HTTP/1.1 with wrk (this nginx listener speaks no prior-knowledge HTTP/2).
        streams = {
            "nginx_hop": measured(proxy.pids, lambda: wrk(
                f"http://127.0.0.1:{proxy_stream_port}/v1/chat/completions", json.dumps({**body, "stream": True}), args.seconds)),
            "gateway_sse": measured(gateway.pids, lambda: wrk(
                gw_rest, json.dumps({**gw_body, "model": "bench-stream", "stream": True}), args.seconds)),
            "gateway_openai_sse": measured(gateway.pids, lambda: wrk(
                gw_openai, json.dumps({**body, "model": "bench-stream", "stream": True}), args.seconds)),
            "gateway_anthropic_sse": measured(gateway.pids, lambda: wrk(
                gw_anthropic, json.dumps({**anthropic_body, "model": "bench-stream", "stream": True}), args.seconds)),
            "gateway_grpc_stream": measured(gateway.pids, lambda: h2load(
                f"http://127.0.0.1:{gateway.port}/modelgateway.v1.ModelGateway/StreamGenerate", 5_000,
                grpc_generate_body(b"bench-stream"), ["content-type: application/grpc", "te: trailers"])),
        }
        for value in streams.values():
            value["cpu_us_per_chunk"] = round(value["cpu_us_per_request"] / STREAM_CHUNKS, 3)
        results["unary"] = runs
        results["streams_200_chunks"] = streams
        results["paced_streams"] = paced_streams(paced, gateway, proxy, proxy_paced_port)
        # The RPC server alone (issue 2's ceiling check): builtin-free echo service.
        echo = Server([str(bin_dir / "rpc-test-server"), "--port", "0"])
        echo_body = OUT / "echo.bin"
        echo_body.write_bytes(b"\x00\x00\x00\x00\x04\x0a\x02hi")
        h2load(f"http://127.0.0.1:{echo.port}/rpctest.v1.TestService/Echo", 20_000, echo_body,
               ["content-type: application/grpc", "te: trailers"], streams=32)
        results["rpc_echo_grpc"] = measured(echo.pids, lambda: h2load(
            f"http://127.0.0.1:{echo.port}/rpctest.v1.TestService/Echo", 200_000, echo_body,
            ["content-type: application/grpc", "te: trailers"], streams=32))
        echo.stop()
        results["instructions_per_unary_request"] = instructions_per_request(
            bin_dir, config, env, gw_body, upstream_port, body)

        def paced_config_for(port):
            paced_config = OUT / "gateway-paced.yaml"
            paced_config.write_text(f"""
server: {{port: 0}}
providers:
  - {{name: bench-paced, type: openai, endpoint: "http://127.0.0.1:{port}/v1", max_concurrency: 4096}}
models:
  - {{name: paced, provider: bench-paced}}
discovery: {{probe_interval_s: 3600}}
""")
            return paced_config
        results["instructions_per_chunk"] = instructions_per_chunk(
            OUT / "model-gateway.stripped", config, env, paced_config_for)
        # Idle connections.
        if args.idle:
            sockets = idle_connections(gateway.port, args.idle)
            time.sleep(0.5)
            results["gateway_rss_with_idle_h2_mib"] = {"connections": len(sockets), "rss_mib": round(rss_mib(gateway.process.pid), 1)}
            for s in sockets:
                s.close()
    finally:
        gateway.stop()
        paced.stop()
        upstream.stop()
        proxy.stop()

    u = results["unary"]
    print(f"{'path':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11} {'RSS MiB':>8} {'failed':>7}")
    for name, r in u.items():
        p50 = f"{r['p50_ms']:.3f}" if "p50_ms" in r else "-"
        p99 = f"{r['p99_ms']:.3f}" if "p99_ms" in r else "-"
        print(f"{name:24} {r['requests_per_s']:>9.0f} {p50:>8} {p99:>8} {r['cpu_us_per_request']:>11.2f} "
              f"{r['rss_mib_after']:>8} {r['failed']:>7}")
    g, n, d = u["gateway_rest_http1"], u["nginx_hop"], u["direct"]
    results["ratios"] = {
        "cpu_gateway_over_nginx": round(g["cpu_us_per_request"] / max(n["cpu_us_per_request"], 0.01), 2),
        "added_p99_ms_gateway": round(g["p99_ms"] - d["p99_ms"], 3),
        "added_p99_ms_nginx": round(n["p99_ms"] - d["p99_ms"], 3),
        "throughput_gateway_over_direct": round(g["requests_per_s"] / d["requests_per_s"], 2),
    }
    print("ratios:", json.dumps(results["ratios"]))
    s = results["streams_200_chunks"]
    print(f"streams (200 chunks): nginx {s['nginx_hop']['cpu_us_per_chunk']} µs/chunk, gateway SSE "
          f"{s['gateway_sse']['cpu_us_per_chunk']} µs/chunk, gateway gRPC {s['gateway_grpc_stream']['cpu_us_per_chunk']} µs/chunk, "
          f"gateway OpenAI-format SSE {s['gateway_openai_sse']['cpu_us_per_chunk']} µs/chunk, "
          f"gateway Anthropic-format SSE {s['gateway_anthropic_sse']['cpu_us_per_chunk']} µs/chunk")
    print(f"paced streams ({PACED_RATE} chunks/s each; one-way chunk delay, added = over the direct path):")
    for name, r in results["paced_streams"].items():
        print(f"  {name:24} {r['streams']:>5} streams {r['chunks_per_s']:>7.0f} chunks/s  first chunk p50 "
              f"{r['first_chunk_p50_ms']:>7.1f} ms  delay p50 {r['delay_p50_ms']:>7.3f} p99 {r['delay_p99_ms']:>8.3f} ms  "
              f"added p99 {r['added_delay_p99_ms']:>8.3f} ms  gap p99 {r['gap_p99_ms']:>7.3f} ms  "
              f"CPU {r['cpu_us_per_chunk']:>6.2f} µs/chunk  RSS {r['rss_mib_after']} MiB  failed {r['failed_streams']}  "
              f"cores busy: load client {r['load_client_cores']}, fake upstream {r['fake_upstream_cores']}"
              + (f"  (p99 of each round: {r['delay_p99_ms_rounds']} ms)" if "delay_p99_ms_rounds" in r else ""))
    e = results["rpc_echo_grpc"]
    print(f"rpc echo (gRPC, h2load -c{CONCURRENCY} -m32): {e['requests_per_s']:.0f} req/s, {e['cpu_us_per_request']} µs CPU/req "
          f"(bare nghttp2 loop ceiling here: ~250,000 req/s)")
    print(f"gateway: start-up {results['gateway_startup_ms']} ms, idle RSS {results['gateway_idle_rss_mib']} MiB, "
          f"with idle HTTP/2 connections {results.get('gateway_rss_with_idle_h2_mib')}")
    i = results["instructions_per_unary_request"]
    print(f"instructions per unary request (callgrind; steady where CPU time is not): gateway REST "
          f"{i['gateway_rest_http1']:,}, gRPC {i['gateway_grpc']:,}, OpenAI format {i['gateway_openai_http1']:,}, "
          f"Anthropic format {i['gateway_anthropic_http1']:,}, "
          f"nginx hop {i['nginx_hop']:,} ({i['ratio']}×)")
    c = results["instructions_per_chunk"]
    b = c["burst_200_chunks"]
    print(f"instructions per streamed chunk (callgrind): 200 arriving at once, SSE {b['gateway_sse']:,}, gRPC "
          f"{b['gateway_grpc_stream']:,}, OpenAI format {b['gateway_openai_sse']:,}, Anthropic format "
          f"{b['gateway_anthropic_sse']:,}; paced, one chunk per wake-up, {c['paced_wake_up']:,}")
    for note in notes:
        print("note:", note)
    results["notes"] = notes
    (ROOT / "bench" / "results.json").write_text(json.dumps({"machine": {"cores": os.cpu_count()}, **results}, indent=2) + "\n")
    print("wrote bench/results.json")


if __name__ == "__main__":
    main()
