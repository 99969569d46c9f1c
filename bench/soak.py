#!/usr/bin/env python3
"""make soak: a bounded run of mixed normal, cancelled and hostile traffic against the release gateway over
fake providers that misbehave on request, then checks that nothing leaked or died.

Traffic (loopback only, each kind on its own thread, all of it stopping at the deadline):
  - normal: unary and streamed generate over REST HTTP/1.1 and HTTP/2 (curl) and gRPC (grpcio), model list
  - cancels: streams dropped after their first event, gRPC calls with short deadlines
  - upstream faults: provider 500s, resets mid-stream, in-stream errors, hangs cut by deadlines, stalls
  - hostile clients: slow heads and bodies, unfinished HTTP/2 bodies, 1-byte DATA frames, clients that stop
    reading, connection floods, resets (RST) mid-request, garbage bytes

Passes when the process is alive at the end, every request got an answer or a clean refusal (an HTTP status,
a gRPC status, or the close a hostile client asked for), and once the traffic stops RSS and open descriptors
are back within the stated bounds of their start. Prints the figures as JSON (bench/README.md keeps them).
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
from h2raw import H2Connection  # noqa: E402

RSS_BOUND_MIB = 48   # RSS after the run may exceed RSS after warm-up by at most this much
FD_BOUND = 16        # open descriptors after the run, over those after warm-up

CONFIG = """
server:
  port: 0
  drain_timeout_s: 5
providers:
  - {{name: ollama, type: ollama, endpoint: "{ollama}", first_token_timeout_s: 3, idle_timeout_s: 2, timeout_s: 10}}
  - {{name: vllm, type: openai, endpoint: "{openai}/v1", first_token_timeout_s: 3, idle_timeout_s: 2, timeout_s: 10}}
  - {{name: anthropic, type: anthropic, endpoint: "{anthropic}", api_key: k, timeout_s: 10}}
  - {{name: builtin, type: builtin}}
models:
  - {{name: gemma3:4b, provider: ollama, fallbacks: [echo]}}
  - {{name: openai/gpt-oss-20b, provider: vllm}}
  - {{name: claude-sonnet-4-20250514, provider: anthropic}}
  - {{name: echo, provider: builtin}}
failover:
  strategies: []
  retries: 1
  circuit_breaker: {{failure_threshold: 50, cooldown_s: 1}}
discovery:
  probe_interval_s: 5
"""


class Process:
    def __init__(self, argv):
        self.log = tempfile.NamedTemporaryFile(prefix="soak-", suffix=".log", delete=False)
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.process.kill()
            raise RuntimeError(f"{argv[0]} did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def rss_mib(self):
        for line in open(f"/proc/{self.process.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def fds(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def alive(self):
        return self.process.poll() is None


class Tally:
    """Outcomes by kind; `unexpected` lists what is neither an answer nor a clean refusal."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.unexpected = []

    def add(self, kind, outcome, ok=True):
        with self.lock:
            key = f"{kind}:{outcome}"
            self.counts[key] = self.counts.get(key, 0) + 1
            if not ok and len(self.unexpected) < 20:
                self.unexpected.append(key)


def rest(url, body, timeout=15, http2=False):
    args = ["curl", "-sS", "-m", str(timeout), "-o", "/dev/null", "-w", "%{http_code}", "-H",
            "content-type: application/json", "--data-binary", json.dumps(body), url + "/api/v1/generate"]
    if http2:
        args.insert(1, "--http2-prior-knowledge")
    result = subprocess.run(args, capture_output=True, text=True)
    return result.stdout.strip() or f"curl-{result.returncode}"


def normal(gw, tally, stop):
    prompts = ["hello soak", "fault:keepalive words", "fault:split one two", "fault:tokens=30"]
    models = ["gemma3:4b", "openai/gpt-oss-20b", "claude-sonnet-4-20250514", "echo"]
    while not stop.is_set():
        body = {"model": random.choice(models), "prompt": random.choice(prompts), "stream": random.random() < 0.5}
        code = rest(gw.url, body, http2=random.random() < 0.5)
        tally.add("normal", code, ok=code == "200")


def upstream_faults(gw, tally, stop):
    faults = ["fault:http500", "fault:reset_after=2", "fault:error_after=2", "fault:hang", "fault:http429",
              "fault:slow_first=4000", "fault:tokens=5 fault:delay=3000", "fault:endless_line"]
    while not stop.is_set():
        body = {"model": random.choice(["openai/gpt-oss-20b", "gemma3:4b"]), "prompt": random.choice(faults),
                "stream": random.random() < 0.5}
        code = rest(gw.url, body, timeout=20)
        tally.add("faults", code, ok=code in {"200", "429", "502", "503", "504"})


def grpc_traffic(gw, tally, stop, pb, rpc):
    import grpc
    with grpc.insecure_channel(f"127.0.0.1:{gw.port}") as channel:
        stub = rpc.ModelGatewayStub(channel)
        while not stop.is_set():
            try:
                if random.random() < 0.3:  # a deadline that cuts a hanging upstream
                    stub.Generate(pb.GenerateRequest(model="gemma3:4b", prompt="fault:hang"), timeout=0.3)
                else:
                    for _ in stub.StreamGenerate(pb.GenerateRequest(model="echo", prompt="a b c"), timeout=10):
                        pass
                tally.add("grpc", "OK")
            except grpc.RpcError as error:
                code = error.code().name
                tally.add("grpc", code, ok=code in {"DEADLINE_EXCEEDED", "UNAVAILABLE", "RESOURCE_EXHAUSTED"})


def cancels(gw, tally, stop):
    while not stop.is_set():
        body = json.dumps({"model": "openai/gpt-oss-20b", "prompt": "fault:tokens=50 fault:delay=50",
                           "stream": True}).encode()
        try:
            with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
                sock.sendall(b"POST /api/v1/generate HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                first = sock.recv(4096)
                tally.add("cancel", "dropped" if first.startswith(b"HTTP/1.1 200") else "other",
                          ok=first.startswith(b"HTTP/1.1 "))
        except OSError as error:
            tally.add("cancel", type(error).__name__, ok=False)


def hostile(gw, tally, stop):
    def slow_head():
        with socket.create_connection(("127.0.0.1", gw.port), timeout=15) as sock:
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            return sock.recv(64)[:12]

    def slow_body():
        with socket.create_connection(("127.0.0.1", gw.port), timeout=90) as sock:
            sock.sendall(b"POST /api/v1/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            return sock.recv(64)[:12]

    def unfinished_h2():
        h2 = H2Connection(gw.port, timeout=10)
        streams = [h2.request("POST", "/api/v1/generate") for _ in range(20)]
        h2.fill_windows(streams)
        h2.close()
        return b"h2-held"

    def tiny_frames():
        h2 = H2Connection(gw.port, timeout=10)
        stream = h2.request("POST", "/api/v1/generate")
        h2.sock.sendall((b"\x00\x00\x01\x00\x00" + stream.to_bytes(4, "big") + b" ") * 30000)
        h2.ping()
        h2.close()
        return b"h2-tiny"

    def no_reader():
        sock = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        body = json.dumps({"model": "echo", "prompt": "word " * 200000}).encode()
        sock.sendall(b"POST /api/v1/generate HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        time.sleep(0.5)
        sock.close()
        return b"no-reader"

    def flood():
        socks = [socket.create_connection(("127.0.0.1", gw.port), timeout=5) for _ in range(200)]
        for sock in socks:
            sock.close()
        return b"flood"

    def reset():
        sock = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        sock.sendall(b"POST /api/v1/generate HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"model\"")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
        return b"reset"

    def garbage():
        with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as sock:
            sock.sendall(os.urandom(2048))
            return sock.recv(64)[:12]

    attacks = [slow_head, unfinished_h2, tiny_frames, no_reader, flood, reset, garbage]
    slow = threading.Thread(target=lambda: tally.add("hostile", safe(slow_body)), daemon=True)
    slow.start()
    while not stop.is_set():
        attack = random.choice(attacks)
        tally.add("hostile", f"{attack.__name__}:{safe(attack)}")


def safe(attack):
    try:
        return attack().decode("latin-1")
    except (OSError, ConnectionError) as error:
        return type(error).__name__


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", default=str(ROOT / ".build" / "release"))
    parser.add_argument("--seconds", type=float, default=300)
    args = parser.parse_args()
    fake = ROOT / "Tests" / "Fakes" / "fake_upstream.py"
    fakes = {kind: Process([sys.executable, str(fake), "--kind", kind, "--api-key", "k", "--models", models])
             for kind, models in [("ollama", "gemma3:4b"), ("openai", "openai/gpt-oss-20b"),
                                  ("anthropic", "claude-sonnet-4-20250514")]}
    config = pathlib.Path(tempfile.mkdtemp()) / "soak.yaml"
    config.write_text(CONFIG.format(**{k: f.url for k, f in fakes.items()}))
    gw = Process([str(pathlib.Path(args.bin_dir) / "model-gateway"), "--config", str(config),
                  "--host", "127.0.0.1", "--port", "0"])

    from grpc_tools import protoc
    out = tempfile.mkdtemp()
    protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"--python_out={out}", f"--grpc_python_out={out}",
                 "modelgateway/v1/gateway.proto"])
    sys.path.insert(0, out)
    from modelgateway.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc

    # Warm-up: every path once, so that caches, pools and per-loop state exist before the baseline.
    warm = Tally()
    for _ in range(20):
        for http2 in (False, True):
            rest(gw.url, {"model": "echo", "prompt": "warm", "stream": http2}, http2=http2)
            rest(gw.url, {"model": "openai/gpt-oss-20b", "prompt": "warm", "stream": True}, http2=http2)
    grpc_traffic(gw, warm, _set_after(threading.Event(), 2), pb, rpc)
    time.sleep(1)  # in-flight work of the warm-up settles before the baseline is read
    start_rss, start_fds = gw.rss_mib(), gw.fds()

    tally, stop = Tally(), threading.Event()
    workers = [lambda: normal(gw, tally, stop)] * 3 + [lambda: upstream_faults(gw, tally, stop)] * 2 \
        + [lambda: grpc_traffic(gw, tally, stop, pb, rpc)] * 2 + [lambda: cancels(gw, tally, stop)] \
        + [lambda: hostile(gw, tally, stop)] * 2
    peak_rss = start_rss
    samples = []  # RSS every 10 s: a leak climbs steadily, a warming allocator levels off
    with concurrent.futures.ThreadPoolExecutor(len(workers)) as pool:
        futures = [pool.submit(worker) for worker in workers]
        started = time.monotonic()
        deadline = started + args.seconds
        while time.monotonic() < deadline and gw.alive():
            time.sleep(1)
            peak_rss = max(peak_rss, gw.rss_mib())
            if int(time.monotonic() - started) % 10 == 0:
                samples.append(round(gw.rss_mib(), 1))
        stop.set()
        for future in futures:
            future.result()

    # Let timeouts run out (body-read 60 s is the longest a hostile client can hold a connection).
    settle_deadline = time.monotonic() + 90
    while gw.alive() and time.monotonic() < settle_deadline and gw.fds() > start_fds + FD_BOUND:
        time.sleep(1)
    alive = gw.alive()
    end_rss, end_fds = (gw.rss_mib(), gw.fds()) if alive else (0, 0)
    answered = rest(gw.url, {"model": "echo", "prompt": "after"}) if alive else "dead"
    gw.process.terminate()
    exit_code = gw.process.wait(timeout=30)
    for f in fakes.values():
        f.process.kill()
    report = {
        "seconds": args.seconds, "alive_at_end": alive, "exit_code_on_sigterm": exit_code,
        "rss_mib": {"start": round(start_rss, 1), "peak": round(peak_rss, 1), "end": round(end_rss, 1)},
        "rss_every_10s_mib": samples,
        "fds": {"start": start_fds, "end": end_fds}, "answered_after": answered,
        "requests": sum(tally.counts.values()), "outcomes": dict(sorted(tally.counts.items())),
        "unexpected": tally.unexpected,
    }
    print(json.dumps(report, indent=2))
    failures = []
    if not alive:
        failures.append("the gateway died")
    if alive and end_rss > start_rss + RSS_BOUND_MIB:
        failures.append(f"RSS grew {end_rss - start_rss:.1f} MiB (bound {RSS_BOUND_MIB})")
    if alive and end_fds > start_fds + FD_BOUND:
        failures.append(f"open descriptors grew by {end_fds - start_fds} (bound {FD_BOUND})")
    if tally.unexpected:
        failures.append(f"unexpected outcomes: {tally.unexpected}")
    if answered != "200":
        failures.append(f"a request after the run got {answered}")
    if exit_code != 0:
        failures.append(f"SIGTERM exit code {exit_code}")
    if failures:
        print("soak FAILED: " + "; ".join(failures))
        sys.exit(1)
    print("soak passed")


def _set_after(event, seconds):
    threading.Timer(seconds, event.set).start()
    return event


if __name__ == "__main__":
    main()
