"""The server against hostile clients: unfinished and fragmented HTTP/2 bodies, slow bodies, clients that
stop reading, floods of connections and descriptor exhaustion. Each test failed before its fix."""

import os
import resource
import socket
import subprocess
import threading
import time

import pytest

from conftest import BIN_DIR, RunningServer, start_test_server
from h2raw import CANCEL_ERROR, END_STREAM, H2Connection, SETTINGS_INITIAL_WINDOW_SIZE

MIB = 1 << 20
WINDOW = 65535  # HTTP/2's initial connection window, granted to every connection before any budget check


def fd_count(server):
    return len(os.listdir(f"/proc/{server.pid}/fd"))


def cpu_seconds(server):
    fields = open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def poll(condition, limit=10.0, step=0.05):
    """Waits until `condition()` holds (a readiness check, bounded by `limit` seconds)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def assert_serves(server):
    out = subprocess.run(["curl", "-sS", "-m", "5", server.url + "/hello"], capture_output=True, text=True).stdout
    assert out == "hello\n"


@pytest.fixture
def budget_server():
    server = start_test_server("--connection-buffer-bytes", str(2 * MIB), "--process-buffer-bytes", str(3 * MIB))
    yield server
    assert server.stop()[0] == 0


def test_unfinished_http2_bodies_get_no_window_past_the_connection_budget(budget_server):
    h2 = H2Connection(budget_server.port)
    streams = [h2.request("POST", "/echo") for _ in range(8)]
    sent = h2.fill_windows(streams)
    # The server reopens the 64 KiB connection window while what it holds fits the budget (2 MiB).
    # Before: nghttp2 refilled every window as bytes came, so 8 streams took 8 x 1 MiB and more.
    assert 2 * MIB <= sent <= 2 * MIB + WINDOW, sent
    # A finished request frees its bytes when its stream closes, and the window flows again.
    h2.send_data(streams[0], b"", end_stream=True)
    h2.read_until(lambda: streams[0] in h2.ended)
    h2.ping()
    more = h2.fill_windows(streams[1:])
    assert more > 0
    h2.close()
    assert_serves(budget_server)


def test_the_process_budget_holds_across_connections(budget_server):
    first, second = H2Connection(budget_server.port), H2Connection(budget_server.port)
    held = first.fill_windows([first.request("POST", "/echo") for _ in range(4)])
    assert 2 * MIB <= held <= 2 * MIB + WINDOW
    # The process holds 3 MiB at most (plus each connection's first window): the second connection gets
    # what is left of it.
    other = second.fill_windows([second.request("POST", "/echo") for _ in range(4)])
    assert MIB - WINDOW <= other and held + other <= 3 * MIB + 2 * WINDOW, (held, other)
    first.close()
    # The first connection's bytes are given back when it closes; the second is granted window again
    # (on the next sweep, at most a second later: the budget is freed on another connection).
    second.sock.settimeout(5)
    second.read_until(lambda: second.windows[0] > 0)
    second.close()


def test_one_byte_data_frames_cost_no_allocation_each():
    server = start_test_server()
    try:
        h2 = H2Connection(server.port)
        before = server.rss_kib()
        streams = [h2.request("POST", "/echo") for _ in range(4)]
        for stream in streams:  # 1 MiB each, one byte per DATA frame: 4 Mi frames
            h2.sock.sendall((b"\x00\x00\x01\x00\x00" + stream.to_bytes(4, "big") + b"z") * MIB)
        h2.ping()
        grown = server.rss_kib() - before
        # Before: an array per frame, ~200 MiB for these 4 MiB; now the bytes themselves and little else.
        assert grown < 48 * 1024, f"RSS grew {grown} KiB"
        for stream in streams:
            h2.send_data(stream, b"", end_stream=True)
        h2.read_until(lambda: all(s in h2.ended for s in streams))
        assert all(h2.received[s] == MIB for s in streams)
        h2.close()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def timeout_server():
    server = start_test_server("--body-timeout", "1", "--write-timeout", "1", "--header-timeout", "5")
    yield server
    assert server.stop()[0] == 0


def test_http1_body_sent_too_slowly_gets_408(timeout_server):
    with socket.create_connection(("127.0.0.1", timeout_server.port), timeout=10) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a little")
        answer = b""
        while data := sock.recv(4096):
            answer += data
    assert answer.startswith(b"HTTP/1.1 408"), answer


def test_http2_body_sent_too_slowly_is_reset(timeout_server):
    h2 = H2Connection(timeout_server.port)
    stream = h2.request("POST", "/echo")
    h2.send_data(stream, b"partial")
    h2.read_until(lambda: stream in h2.resets)
    assert h2.resets[stream] == CANCEL_ERROR
    h2.close()


def tcp_state(sock):
    """The kernel's TCP state of our end (TCP_INFO's first byte): 1 established, 8 close-wait, 7 closed."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


def test_http1_client_that_stops_reading_is_disconnected(timeout_server):
    sock = socket.create_connection(("127.0.0.1", timeout_server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(b"GET /bulk?bytes=300000000 HTTP/1.1\r\nHost: x\r\n\r\n")
    # Never read: once nothing moves for the write timeout, the server lets the connection go (our end
    # sees its FIN or RST). Before: the response waited in the server's buffers for as long as we liked.
    assert poll(lambda: tcp_state(sock) in (7, 8)), f"still connected (TCP state {tcp_state(sock)})"
    sock.close()


def test_http2_stream_without_window_is_reset(timeout_server):
    h2 = H2Connection(timeout_server.port, settings=[(SETTINGS_INITIAL_WINDOW_SIZE, 0)])
    stream = h2.request("GET", "/bulk?bytes=1000000", end_stream=True)
    h2.read_until(lambda: stream in h2.resets)
    assert h2.resets[stream] == CANCEL_ERROR
    assert h2.received.get(stream, 0) == 0
    h2.ping()  # the connection itself still serves
    h2.close()


def test_pipelined_bodies_behind_a_stuck_request_are_not_all_read():
    server = start_test_server()
    try:
        before = server.rss_kib()
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"GET /stream?n=2&delay_ms=30000 HTTP/1.1\r\nHost: x\r\n\r\n")
        body = b"p" * MIB
        request = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        progress = [0]

        def push():
            try:
                for _ in range(32):
                    sock.sendall(request)
                    progress[0] += 1
            except OSError:
                pass

        sender = threading.Thread(target=push, daemon=True)
        sender.start()
        # Wait until the client can push no more (the server stopped reading and the buffers are full).
        last = [-1]

        def stalled():
            now = progress[0]
            done = now == last[0]
            last[0] = now
            return done

        assert poll(stalled, limit=20, step=0.5)
        grown = server.rss_kib() - before
        # Before: all 32 bodies were read and queued behind the stuck request (32 MiB and more).
        assert progress[0] < 32 and grown < 16 * 1024, (progress[0], grown)
        sock.close()
    finally:
        server.stop()


def test_connections_past_the_cap_wait_for_one_to_close():
    server = start_test_server("--max-connections", "4", "--loops", "1")
    try:
        held = []
        for _ in range(4):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            held.append(sock)
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=0.5)
        extra.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(socket.timeout):
            extra.recv(4096)  # still in the kernel's backlog, not accepted
        held.pop().close()
        extra.settimeout(5)
        assert extra.recv(4096).startswith(b"HTTP/1.1 200")
        for sock in held + [extra]:
            sock.close()
    finally:
        server.stop()


def test_running_out_of_descriptors_does_not_spin_the_accept_loop():
    def small_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))

    server = RunningServer([str(BIN_DIR / "rpc-test-server"), "--port", "0", "--loops", "1"], preexec=small_fd_limit)
    try:
        flood = []
        for _ in range(80):
            flood.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        assert poll(lambda: fd_count(server) >= 47)
        before = cpu_seconds(server)
        time.sleep(1.0)  # what is measured is CPU time over this second: spinning would use all of it
        spent = cpu_seconds(server) - before
        assert spent < 0.3, f"the server used {spent:.2f} s of CPU in 1 s while out of descriptors"
        for sock in flood:
            sock.close()
        assert poll(lambda: fd_count(server) < 20)
        assert_serves(server)
    finally:
        server.stop()
