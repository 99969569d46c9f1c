"""The server's HTTP/1.1 and HTTP/2 sides, driven by curl, nghttp and raw sockets."""

import socket
import subprocess
import time

import pytest

from conftest import start_test_server


def curl(*args, timeout=20):
    result = subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=timeout)
    return result.returncode, result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")


def raw_exchange(server, payload, read_until_close=True, timeout=5):
    """Sends raw bytes and returns everything the server answers until it closes (or the timeout)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
                if not read_until_close:
                    break
        except socket.timeout:
            pass
        return b"".join(chunks)


def assert_still_serves(server):
    code, out, _ = curl(server.url + "/hello")
    assert code == 0 and out == "hello\n"


def test_http1_get_and_keep_alive_reuse(test_server):
    code, out, err = curl("-v", test_server.url + "/hello", test_server.url + "/hello")
    assert code == 0
    assert out == "hello\nhello\n"
    assert "Re-using existing connection" in err


def test_http2_prior_knowledge(test_server):
    code, out, err = curl("-v", "--http2-prior-knowledge", "-d", "ping", test_server.url + "/echo?a=1")
    assert code == 0
    assert out == "ping"
    assert "< HTTP/2 200" in err
    assert "< x-query: a=1" in err
    assert "< x-version: HTTP/2" in err


def test_http1_chunked_request_body(test_server):
    code, out, err = curl("-v", "-H", "Transfer-Encoding: chunked", "--data-binary", "x" * 5000, test_server.url + "/echo")
    assert code == 0 and out == "x" * 5000
    assert "< x-version: HTTP/1.1" in err


def test_http1_expect_100_continue(test_server):
    code, out, err = curl("-v", "-H", "Expect: 100-continue", "--data-binary", "y" * 2000, test_server.url + "/echo")
    assert code == 0 and out == "y" * 2000
    assert "HTTP/1.1 100 Continue" in err


def test_http1_chunked_streaming_response(test_server):
    code, out, err = curl("-v", "-N", test_server.url + "/stream?n=4&delay_ms=20")
    assert code == 0
    assert out == "line 0\nline 1\nline 2\nline 3\n"
    assert "transfer-encoding: chunked" in err


def test_http1_pipelined_requests_answered_in_order(test_server):
    requests = (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
                b"GET /stream?n=2&delay_ms=30 HTTP/1.1\r\nHost: x\r\n\r\n"
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlast")
    answer = raw_exchange(test_server, requests)
    first, second, third = answer.index(b"first"), answer.index(b"line 1"), answer.index(b"last")
    assert first < second < third
    assert answer.count(b"HTTP/1.1 200 OK") == 3
    assert answer.rstrip().endswith(b"last"), "the connection closes after the Connection: close request"


def test_http1_head_answers_the_get_length_without_a_body(test_server):
    # The next pipelined request's answer must follow the HEAD answer's head at once: a body sent for HEAD
    # would be read as the start of that answer.
    requests = (b"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = raw_exchange(test_server, requests)
    head_answer, _, rest = answer.partition(b"\r\n\r\n")
    assert head_answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-length: 6" in head_answer.lower()
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:40]
    assert rest.endswith(b"\r\n\r\nhello\n")


def test_http1_405_lists_allowed_methods(test_server):
    code, out, err = curl("-v", "-X", "DELETE", test_server.url + "/hello")
    assert "< HTTP/1.1 405" in err
    assert "< allow: GET" in err


@pytest.mark.parametrize("payload, status", [
    (b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"400"),
    (b"GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n", b"400"),
    (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", b"431"),
    (b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"b" * 20000 + b"\r\n\r\n", b"431"),
    (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage-tls-hello\r\n\r\n", b"400"),
])
def test_http1_malformed_requests_get_an_error_and_a_close(test_server, payload, status):
    answer = raw_exchange(test_server, payload)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:80]
    assert b"connection: close" in answer.lower()
    assert_still_serves(test_server)


def test_smuggled_request_after_conflicting_framing_is_never_served(test_server):
    answer = raw_exchange(test_server, b"POST /echo HTTP/1.1\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       b"0\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"hello" not in answer


@pytest.fixture(scope="module")
def strict_server():
    server = start_test_server("--max-body-bytes", "1000", "--header-timeout", "1", "--idle-timeout", "2")
    yield server
    code, _ = server.stop()
    assert code == 0


def test_body_over_the_limit_is_413_on_both_protocols(strict_server):
    code, out, err = curl("-v", "--data-binary", "z" * 1001, strict_server.url + "/echo")
    assert "< HTTP/1.1 413" in err
    code, out, err = curl("-v", "--http2-prior-knowledge", "--data-binary", "z" * 5000, strict_server.url + "/echo")
    assert "< HTTP/2 413" in err
    code, out, err = curl("-v", "-H", "Transfer-Encoding: chunked", "--data-binary", "z" * 5000, strict_server.url + "/echo")
    assert "< HTTP/1.1 413" in err
    code, out, _ = curl("--data-binary", "z" * 1000, strict_server.url + "/echo")
    assert out == "z" * 1000


def test_slowloris_head_gets_408_and_close(strict_server):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", strict_server.port), timeout=10) as sock:
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        answer = b""
        while True:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    assert answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < 5
    assert_still_serves(strict_server)


def test_idle_connections_are_closed(strict_server):
    with socket.create_connection(("127.0.0.1", strict_server.port), timeout=10) as sock:
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert sock.recv(4096) == b"", "an idle keep-alive connection is closed by the server"
        assert 1 <= time.monotonic() - started < 6


def test_http2_garbage_after_preface_gets_goaway(test_server):
    answer = raw_exchange(test_server, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x04\xff\x00\x00\x00\x00\x00junkjunk")
    # The server's SETTINGS, then a GOAWAY frame (type 0x7), then the close.
    assert b"\x07\x00\x00\x00\x00\x00" in answer
    assert_still_serves(test_server)


def read_slowly_then_fully(server, request, total):
    """Reads 1 MiB, stops reading for a while, checks the server's memory, then reads the rest."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(request)
        received = 0
        while received < 1 << 20:
            received += len(sock.recv(65536))
        rss_before = server.rss_kib()
        time.sleep(1.0)  # a deliberately slow reader: the server must stop producing, not buffer
        rss_paused = server.rss_kib()
        while True:
            data = sock.recv(1 << 20)
            if not data:
                break
            received += len(data)
        return received, rss_before, rss_paused


def test_slow_reader_does_not_grow_server_memory_http1(test_server):
    total = 300 * 1024 * 1024
    request = f"GET /bulk?bytes={total} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    received, before, paused = read_slowly_then_fully(test_server, request, total)
    assert received > total  # the body plus the head and chunk framing
    assert paused - before < 16 * 1024, f"RSS grew {paused - before} KiB while the client did not read"


def test_http2_large_download_with_flow_control(test_server):
    code, out, err = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{size_download}",
                          test_server.url + "/bulk?bytes=50000000")
    assert code == 0 and out == "50000000"


def test_graceful_shutdown_finishes_in_flight_streams():
    server = start_test_server()
    h1 = subprocess.Popen(["curl", "-sS", "-N", server.url + "/stream?n=10&delay_ms=100"], stdout=subprocess.PIPE)
    h2 = subprocess.Popen(["nghttp", "-v", server.url + "/stream?n=10&delay_ms=100"], stdout=subprocess.PIPE)
    # Wait until both streams have started before asking the server to stop.
    deadline = time.monotonic() + 5
    first_h1 = h1.stdout.readline()
    while b"line 0" not in h2.stdout.readline() and time.monotonic() < deadline:
        pass
    code, out = server.stop()
    h1_rest, _ = h1.communicate(timeout=10)
    h2_rest, _ = h2.communicate(timeout=10)
    assert code == 0
    assert (first_h1 + h1_rest).decode().splitlines() == [f"line {i}" for i in range(10)]
    assert b"line 9" in h2_rest
    assert b"GOAWAY" in h2_rest
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2)


def h2load_grpc(server, method, message, requests, clients, streams):
    """Runs h2load with one gRPC request body; returns its report."""
    path = f"/tmp/h2load-{method}.bin"
    with open(path, "wb") as f:
        f.write(message)
    return subprocess.run(
        ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), "-d", path,
         "-H", "content-type: application/grpc", "-H", "te: trailers",
         server.url + f"/rpctest.v1.TestService/{method}"], capture_output=True, text=True, timeout=120).stdout


def test_h2load_grpc_smoke(test_server):
    out = h2load_grpc(test_server, "Echo", b"\x00\x00\x00\x00\x04\x0a\x02hi", 10000, 10, 10)
    assert "10000 succeeded, 0 failed, 0 errored, 0 timeout" in out, out


def test_h2load_a_thousand_concurrent_streams(test_server):
    # StreamEcho{count: 5, delay_ms: 50}: each stream lives ~200 ms, so 10 x 100 are open at once.
    out = h2load_grpc(test_server, "StreamEcho", b"\x00\x00\x00\x00\x04\x10\x05\x18\x32", 3000, 10, 100)
    assert "3000 succeeded, 0 failed, 0 errored, 0 timeout" in out, out
