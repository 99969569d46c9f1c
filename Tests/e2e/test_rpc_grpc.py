"""The server's gRPC machinery, driven by a real grpcio client with stubs generated from our test proto."""

import concurrent.futures
import subprocess
import time

import grpc
import pytest


@pytest.fixture(scope="module")
def api(stubs):
    pb = stubs.module("rpctest.v1.test_service_pb2")
    rpc = stubs.module("rpctest.v1.test_service_pb2_grpc")
    return pb, rpc


@pytest.fixture
def client(test_server, api):
    pb, rpc = api
    channel = grpc.insecure_channel(test_server.address)
    grpc.channel_ready_future(channel).result(timeout=5)
    yield pb, rpc.TestServiceStub(channel), channel
    channel.close()


def assert_still_serves(client):
    pb, stub, _ = client
    assert stub.Echo(pb.EchoRequest(message="still here"), timeout=5).message == "still here"


def stats(client):
    pb, stub, _ = client
    return stub.Stats(pb.StatsRequest(), timeout=5)


def wait_for_cancellation(client, before):
    """Waits (bounded) until the server counted one more cancelled handler."""
    deadline = time.monotonic() + 5
    while stats(client).cancelled <= before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stats(client).cancelled == before + 1, "the server-side handler must be cancelled"


def test_unary_echo_with_metadata_echoed(client):
    pb, stub, _ = client
    response, call = stub.Echo.with_call(
        pb.EchoRequest(message="héllo ☕", payload=b"\x00\x01\xff"), metadata=[("x-request-id", "req-42")], timeout=5)
    assert response.message == "héllo ☕"
    assert response.payload == b"\x00\x01\xff"
    assert ("x-request-id", "req-42") in call.initial_metadata()
    assert call.code() == grpc.StatusCode.OK


def test_server_streaming_delivers_every_message_in_order(client):
    pb, stub, _ = client
    messages = list(stub.StreamEcho(pb.EchoRequest(message="m", count=50, delay_ms=2), timeout=10))
    assert [m.index for m in messages] == list(range(50))
    assert all(m.message == "m" for m in messages)


def test_large_streamed_messages_cross_flow_control(client):
    pb, stub, _ = client
    payload = bytes(range(256)) * 4096  # 1 MiB per message: many windows' worth
    messages = list(stub.StreamEcho(pb.EchoRequest(count=8, payload=payload), timeout=20))
    assert len(messages) == 8
    assert all(m.payload == payload for m in messages)


def test_error_status_and_percent_encoded_message(client):
    pb, stub, _ = client
    with pytest.raises(grpc.RpcError) as failure:
        stub.Echo  # noqa: B018 - keep the stub warm
        stub.Fail(pb.EchoRequest(fail_code=grpc.StatusCode.NOT_FOUND.value[0], message="no such thing: 100% ☕\n"), timeout=5)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert failure.value.details() == "no such thing: 100% ☕\n"
    assert_still_serves(client)


@pytest.mark.parametrize("code", [c for c in grpc.StatusCode if c != grpc.StatusCode.OK])
def test_every_status_code_reaches_the_client(client, code):
    pb, stub, _ = client
    with pytest.raises(grpc.RpcError) as failure:
        stub.Fail(pb.EchoRequest(fail_code=code.value[0], message=code.name), timeout=5)
    assert failure.value.code() == code


def test_deadline_exceeded_cancels_the_handler(client):
    pb, stub, _ = client
    before = stats(client).cancelled
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as failure:
        stub.Slow(pb.EchoRequest(message="late", delay_ms=5000), timeout=0.2)
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 4, "the deadline must end the call, not the handler's sleep"
    wait_for_cancellation(client, before)
    assert stats(client).active == 0
    assert_still_serves(client)


def test_client_cancel_of_a_stream_cancels_the_handler(client):
    pb, stub, _ = client
    before = stats(client).cancelled
    call = stub.StreamEcho(pb.EchoRequest(message="x", count=1000, delay_ms=20), timeout=30)
    first = next(call)
    assert first.index == 0
    call.cancel()
    with pytest.raises(grpc.RpcError) as failure:
        list(call)
    assert failure.value.code() == grpc.StatusCode.CANCELLED
    wait_for_cancellation(client, before)
    assert_still_serves(client)


def test_client_cancel_of_a_unary_call_while_waiting(client):
    pb, stub, _ = client
    before = stats(client).cancelled
    future = stub.Slow.future(pb.EchoRequest(delay_ms=10_000), timeout=30)
    deadline = time.monotonic() + 5
    while stats(client).active == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    future.cancel()
    wait_for_cancellation(client, before)
    assert_still_serves(client)


def test_unknown_method_is_unimplemented(client):
    _, _, channel = client
    call = channel.unary_unary("/rpctest.v1.TestService/Nope")
    with pytest.raises(grpc.RpcError) as failure:
        call(b"", timeout=5)
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED
    unknown_service = channel.unary_unary("/no.such.Service/Echo")
    with pytest.raises(grpc.RpcError) as failure:
        unknown_service(b"", timeout=5)
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert_still_serves(client)


def test_undecodable_message_is_invalid_argument(client):
    _, _, channel = client
    raw = channel.unary_unary("/rpctest.v1.TestService/Echo")
    with pytest.raises(grpc.RpcError) as failure:
        raw(b"\x0a\xff\xff\xff\xff\x0f garbage", timeout=5)  # field 1 claims ~4 GiB of string
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert_still_serves(client)


def test_message_over_4_mib_is_resource_exhausted(test_server, api):
    pb, rpc = api
    options = [("grpc.max_send_message_length", 64 << 20)]
    with grpc.insecure_channel(test_server.address, options=options) as channel:
        stub = rpc.TestServiceStub(channel)
        with pytest.raises(grpc.RpcError) as failure:
            stub.Echo(pb.EchoRequest(payload=b"x" * (4 * 1024 * 1024 + 1)), timeout=10)
        assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        just_fits = stub.Echo(pb.EchoRequest(payload=b"y" * (4 * 1024 * 1024 - 16)), timeout=10)
        assert len(just_fits.payload) == 4 * 1024 * 1024 - 16


def test_gzip_compressed_request_and_response(test_server, api):
    pb, rpc = api
    with grpc.insecure_channel(test_server.address, compression=grpc.Compression.Gzip) as channel:
        stub = rpc.TestServiceStub(channel)
        payload = b"compress me " * 10_000
        response = stub.Echo(pb.EchoRequest(message="gz", payload=payload), timeout=5)
        assert response.payload == payload
        streamed = list(stub.StreamEcho(pb.EchoRequest(count=3, payload=payload), timeout=5))
        assert [m.payload for m in streamed] == [payload] * 3


def nghttp(test_server, path, body, *headers):
    """One request with nghttp; returns its verbose transcript."""
    with open("/tmp/nghttp-body.bin", "wb") as f:
        f.write(body)
    argv = ["nghttp", "-v", "-d", "/tmp/nghttp-body.bin", "-H", "te: trailers"]
    for header in headers:
        argv += ["-H", header]
    result = subprocess.run(argv + [test_server.url + path], capture_output=True, timeout=10)
    return result.stdout.decode("utf-8", "replace")


def framed(payload, compressed=False):
    return bytes([1 if compressed else 0]) + len(payload).to_bytes(4, "big") + payload


def test_unsupported_encoding_is_unimplemented_with_accept_encoding(test_server):
    out = nghttp(test_server, "/rpctest.v1.TestService/Echo", framed(b"\x0a\x01a", compressed=True),
                 "content-type: application/grpc", "grpc-encoding: snappy")
    assert "grpc-status: 12" in out
    assert "grpc-accept-encoding: identity,gzip" in out


def test_gzip_response_is_marked_and_compressed_on_the_wire(test_server):
    import gzip
    request = b"\x2a\x10" + b"a" * 16  # EchoRequest{payload: 16 x "a"}
    out = nghttp(test_server, "/rpctest.v1.TestService/Echo", framed(gzip.compress(request), compressed=True),
                 "content-type: application/grpc", "grpc-encoding: gzip", "grpc-accept-encoding: gzip")
    assert "grpc-encoding: gzip" in out
    assert "grpc-status: 0" in out
    raw = subprocess.run(["nghttp", "-d", "/tmp/nghttp-body.bin", "-H", "content-type: application/grpc",
                          "-H", "grpc-encoding: gzip", test_server.url + "/rpctest.v1.TestService/Echo"],
                         capture_output=True, timeout=10).stdout
    assert raw[0] == 1, "the response message must carry the compressed flag"
    assert gzip.decompress(raw[5:]) == b"\x1a\x10" + b"a" * 16  # EchoResponse{payload}


def test_split_and_coalesced_frames(test_server):
    # Two messages in one unary body is a protocol violation; a body cut mid-frame too.
    two = nghttp(test_server, "/rpctest.v1.TestService/Echo", framed(b"\x0a\x01a") * 2,
                 "content-type: application/grpc")
    assert "grpc-status: 13" in two
    cut = nghttp(test_server, "/rpctest.v1.TestService/Echo", framed(b"\x0a\x05hello")[:-2],
                 "content-type: application/grpc")
    assert "grpc-status: 13" in cut
    # A frame split over many DATA frames is reassembled (nghttp sends the body in 16 KiB DATA frames).
    big = nghttp(test_server, "/rpctest.v1.TestService/Echo", framed(b"\x2a\x83\x80\x04" + b"z" * 65539),
                 "content-type: application/grpc")
    assert "grpc-status: 0" in big


def test_a_thousand_concurrent_calls(test_server, api):
    pb, rpc = api
    with grpc.insecure_channel(test_server.address) as channel:
        stub = rpc.TestServiceStub(channel)
        futures = [stub.Slow.future(pb.EchoRequest(message=str(i), delay_ms=300), timeout=30) for i in range(1000)]
        results = [f.result() for f in futures]
    assert sorted(int(r.message) for r in results) == list(range(1000))


def test_a_thousand_concurrent_streams_on_many_threads(test_server, api):
    pb, rpc = api

    def consume(stub, i):
        return [m.index for m in stub.StreamEcho(pb.EchoRequest(message=str(i), count=5, delay_ms=50), timeout=60)]

    channels = [grpc.insecure_channel(test_server.address, options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(10)]
    try:
        stubs = [rpc.TestServiceStub(c) for c in channels]
        with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
            results = list(pool.map(lambda i: consume(stubs[i % 10], i), range(1000)))
    finally:
        for c in channels:
            c.close()
    assert all(r == [0, 1, 2, 3, 4] for r in results)
