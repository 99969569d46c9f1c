"""model-gateway over gRPC: every method with a grpcio client (stubs from our proto), error codes,
deadlines and cancellation reaching the upstream, and the standard health and reflection services."""

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf import message_factory

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def channel(gateway):
    with grpc.insecure_channel(gateway.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=5)
        yield channel


@pytest.fixture(scope="module")
def api(gateway_api, channel):
    pb, rpc = gateway_api
    return pb, rpc.ModelGatewayStub(channel)


def code_of(call, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as failure:
        call(*args, **kwargs)
    return failure.value


def test_generate_through_an_alias_with_metadata_and_request_id(api):
    pb, stub = api
    response, call = stub.Generate.with_call(
        pb.GenerateRequest(model="tiny", prompt="hello gateway", metadata={"team": "search"}),
        metadata=[("x-request-id", "grpc-req-1")], timeout=10)
    assert response.content == "Echo: hello gateway"
    assert (response.model, response.provider) == ("gemma3:4b", "ollama-gpu")
    assert (response.tokens_input, response.tokens_output) == (2, 3)
    assert response.finish_reason == "stop"
    assert dict(response.metadata) == {"team": "search"}
    assert response.id.startswith("gen-") and len(response.id) == 40
    assert not response.requested_model
    assert ("x-request-id", "grpc-req-1") in call.initial_metadata()


def test_a_request_id_is_generated_when_absent(api):
    pb, stub = api
    _, call = stub.Generate.with_call(pb.GenerateRequest(model="echo", prompt="x"), timeout=10)
    ids = [v for k, v in call.initial_metadata() if k == "x-request-id"]
    assert len(ids) == 1 and len(ids[0]) == 36


@pytest.mark.parametrize("model, provider", [
    ("small", "ollama-gpu"), ("large", "vllm"), ("frontier", "anthropic"), ("echo", "builtin")])
def test_stream_generate_on_every_provider(api, model, provider):
    pb, stub = api
    chunks = list(stub.StreamGenerate(pb.GenerateRequest(
        model=model, messages=[pb.ChatMessage(role="user", content="stream é ☕ please")]), timeout=10))
    finals = [c for c in chunks if c.done]
    assert len(finals) == 1 and chunks[-1].done
    text = "".join(c.content for c in chunks)
    assert text == ("stream é ☕ please" if model == "echo" else "Echo: stream é ☕ please")
    assert finals[0].finish_reason == "stop"
    assert finals[0].tokens_output == len(text.split(" "))
    assert all(c.provider == provider for c in chunks)


def test_optional_fields_are_distinguishable_from_zero(api):
    pb, stub = api
    request = pb.GenerateRequest(model="echo", prompt="a b c")
    assert not request.HasField("temperature") and not request.HasField("max_tokens")
    request.max_tokens = 1
    assert request.HasField("max_tokens")
    response = stub.Generate(request, timeout=5)
    assert (response.content, response.finish_reason) == ("a", "length")
    bad = code_of(stub.Generate, pb.GenerateRequest(model="echo", prompt="x", temperature=0.0, max_tokens=0), timeout=5)
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and "max_tokens" in bad.details()


def test_cost_comes_from_pricing(api):
    pb, stub = api
    response = stub.Generate(pb.GenerateRequest(model="frontier", prompt="one two three four"), timeout=10)
    assert (response.tokens_input, response.tokens_output) == (4, 5)
    assert response.cost_usd == pytest.approx((4 * 3.0 + 5 * 15.0) / 1e6)


def test_list_get_model_and_not_found(api):
    pb, stub = api
    listing = stub.ListModels(pb.ListModelsRequest(), timeout=10)
    names = [m.name for m in listing.models]
    for name in ["gemma3:4b", "gemma3:12b", "openai/gpt-oss-20b", "claude-sonnet-4-20250514", "echo", "lonely"]:
        assert name in names
    assert dict(listing.aliases)["frontier"] == "claude-sonnet-4-20250514"
    small = stub.GetModel(pb.GetModelRequest(name="small"), timeout=10)
    assert small.name == "gemma3:12b" and list(small.providers) == ["ollama-gpu", "ollama-cpu"]
    assert small.tier == "small" and "stream" in small.capabilities
    assert stub.GetModel(pb.GetModelRequest(name="frontier"), timeout=5).pricing.output_per_mtok == 15.0
    only_vllm = stub.ListModels(pb.ListModelsRequest(provider="vllm"), timeout=10)
    assert [m.name for m in only_vllm.models] == ["openai/gpt-oss-20b"]
    assert code_of(stub.GetModel, pb.GetModelRequest(name="nope"), timeout=5).code() == grpc.StatusCode.NOT_FOUND


def test_health_reports_each_provider(api):
    pb, stub = api
    health = stub.Health(pb.HealthRequest(detailed=True), timeout=10)
    status = {p.name: p.status for p in health.providers}
    assert status["ollama-gpu"] == "up" and status["anthropic"] == "up" and status["down"] == "down"
    assert health.status == "degraded"
    assert health.version and health.uptime_s > 0
    lonely = stub.GetModel(pb.GetModelRequest(name="lonely"), timeout=5)
    assert lonely.status == "unavailable"
    discovered = stub.GetModel(pb.GetModelRequest(name="discovered:1b"), timeout=5)
    assert discovered.provider == "ollama-gpu"


def test_embed_and_embedding_capability(api):
    pb, stub = api
    response = stub.Embed(pb.EmbedRequest(model="embedding", input=["one two", "three"]), timeout=10)
    assert [list(e.values) for e in response.embeddings] == [[7.0, 2.0, 0.5, -0.25], [5.0, 1.0, 0.5, -0.25]]
    assert response.model == "mxbai-embed-large:335m" and response.tokens_input == 3
    assert code_of(stub.Embed, pb.EmbedRequest(model="tiny", input=["x"]), timeout=5).code() == \
        grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("prompt, code", [
    ("fault:http429", grpc.StatusCode.RESOURCE_EXHAUSTED),
    ("fault:http500", grpc.StatusCode.INTERNAL),
    ("fault:http401", grpc.StatusCode.INTERNAL),
])
def test_provider_errors_map_to_status_codes(api, prompt, code):
    pb, stub = api
    failure = code_of(stub.Generate, pb.GenerateRequest(model="large", prompt=prompt), timeout=10)
    assert failure.code() == code
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        assert ("retry-after", "7") in failure.trailing_metadata()


def test_unavailable_provider_is_unavailable(api):
    pb, stub = api
    assert code_of(stub.Generate, pb.GenerateRequest(model="lonely", prompt="x"), timeout=10).code() == \
        grpc.StatusCode.UNAVAILABLE


def test_stream_cut_after_content_is_a_non_ok_status(api):
    pb, stub = api
    received = []
    with pytest.raises(grpc.RpcError) as failure:
        for chunk in stub.StreamGenerate(pb.GenerateRequest(model="large", prompt="a b c fault:delay=150 fault:reset_after=2"), timeout=10):
            received.append(chunk.content)
    assert failure.value.code() != grpc.StatusCode.OK
    assert received == ["Echo:", " a"]


def wait_for_disconnect(fake, before, limit=3.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = fake.disconnects()
        if len(found) > before:
            return found[-1]["at"]
        time.sleep(0.01)
    return None


def test_deadline_exceeded_cancels_the_upstream(gateway, api):
    pb, stub = api
    fake = gateway.fakes["openai"]
    before = len(fake.disconnects())
    started = time.monotonic()
    failure = code_of(stub.Generate, pb.GenerateRequest(model="large", prompt="fault:hang"), timeout=0.5)
    assert failure.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 2
    assert wait_for_disconnect(fake, before) is not None, "the upstream call was not cancelled"


def test_client_cancel_of_a_stream_cancels_the_upstream_within_100ms(gateway, api):
    pb, stub = api
    fake = gateway.fakes["anthropic"]
    before = len(fake.disconnects())
    call = stub.StreamGenerate(pb.GenerateRequest(model="frontier", prompt="fault:tokens=500 fault:delay=30"), timeout=30)
    next(call)
    next(call)
    cancelled_at = time.monotonic()
    call.cancel()
    at = wait_for_disconnect(fake, before)
    assert at is not None and at - cancelled_at < 0.1, f"upstream closed {at and (at - cancelled_at)} s after cancel"


def test_client_cancel_while_waiting_for_the_first_token(gateway, api):
    pb, stub = api
    fake = gateway.fakes["ollama"]
    before = len(fake.disconnects())
    future = stub.Generate.future(pb.GenerateRequest(model="tiny", prompt="fault:slow_first=1500"), timeout=30)
    time.sleep(0.2)  # the request is now waiting on the provider's first byte
    cancelled_at = time.monotonic()
    future.cancel()
    at = wait_for_disconnect(fake, before)
    assert at is not None and at - cancelled_at < 0.1


def test_usage_counts_what_providers_reported(api):
    pb, stub = api
    before = stub.GetUsage(pb.UsageRequest(), timeout=5)
    stub.Generate(pb.GenerateRequest(model="large", prompt="count these words"), metadata=[("authorization", "Bearer k1")],
                  timeout=10)
    after = stub.GetUsage(pb.UsageRequest(), timeout=5)
    assert after.totals.tokens_input - before.totals.tokens_input == 3
    assert after.totals.tokens_output - before.totals.tokens_output == 4
    assert after.totals.cost_usd - before.totals.cost_usd == pytest.approx((3 * 1 + 4 * 2) / 1e6)
    assert any(row.name == "openai/gpt-oss-20b" for row in after.by_model)
    assert all("k1" not in row.name for row in after.by_key)


def test_grpc_health_check_and_watch(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ["", "modelgateway.v1.ModelGateway"]:
        assert stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status == \
            health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as failure:
        stub.Check(health_pb2.HealthCheckRequest(service="no.Such"), timeout=5)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    watch = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    watch.cancel()


@pytest.mark.parametrize("version", ["v1alpha"])
def test_reflection_lists_and_describes_and_calls_without_the_proto(channel, version):
    database = ProtoReflectionDescriptorDatabase(channel)
    services = database.get_services()
    for service in ["modelgateway.v1.ModelGateway", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]:
        assert service in services
    pool = DescriptorPool(database)
    service = pool.FindServiceByName("modelgateway.v1.ModelGateway")
    assert {m.name for m in service.methods} >= {"Generate", "StreamGenerate", "ListModels", "GetModel", "Health", "Embed"}
    request_class = message_factory.GetMessageClass(pool.FindMessageTypeByName("modelgateway.v1.GenerateRequest"))
    response_class = message_factory.GetMessageClass(pool.FindMessageTypeByName("modelgateway.v1.GenerateResponse"))
    generate = channel.unary_unary("/modelgateway.v1.ModelGateway/Generate",
                                   request_serializer=request_class.SerializeToString,
                                   response_deserializer=response_class.FromString)
    assert generate(request_class(model="echo", prompt="by reflection"), timeout=5).content == "by reflection"


def test_reflection_v1_on_one_open_stream(gateway, stubs):
    # grpcurl and other tools keep one bidirectional stream open and ask several questions on it.
    from grpc_reflection.v1alpha import reflection_pb2
    import queue
    requests = queue.Queue()

    def iterate():
        while (item := requests.get()) is not None:
            yield item

    with grpc.insecure_channel(gateway.address) as channel:
        call = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                     request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                     response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        responses = call(iterate(), timeout=10)
        requests.put(reflection_pb2.ServerReflectionRequest(list_services=""))
        first = next(responses)
        assert "modelgateway.v1.ModelGateway" in [s.name for s in first.list_services_response.service]
        requests.put(reflection_pb2.ServerReflectionRequest(file_containing_symbol="modelgateway.v1.GenerateRequest"))
        second = next(responses)
        assert len(second.file_descriptor_response.file_descriptor_proto) == 1
        requests.put(reflection_pb2.ServerReflectionRequest(file_by_filename="nope.proto"))
        assert next(responses).error_response.error_code == 5
        requests.put(None)
        assert list(responses) == []
