"""OpenTelemetry: a client's W3C traceparent is continued by the gateway's spans, passed on to the provider,
and the spans reach an OTLP/HTTP collector (a local stand-in here)."""

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import GATEWAY_CONFIG, GatewayUnderTest

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class Collector(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        Collector.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def collector():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def spans():
    return [(span, batch["resourceSpans"][0]["resource"]) for path, batch in Collector.received
            for scope in batch["resourceSpans"][0]["scopeSpans"] for span in scope["spans"]]


def test_spans_continue_the_client_trace_and_reach_the_collector(collector, tmp_path_factory):
    gw = GatewayUnderTest(tmp_path_factory.mktemp("otel"), GATEWAY_CONFIG,
                          env_extra={"OTEL_EXPORTER_OTLP_ENDPOINT": collector, "OTEL_SERVICE_NAME": "gw-test"})
    try:
        request = urllib.request.Request(
            gw.url + "/api/v1/generate", data=json.dumps({"model": "tiny", "prompt": "trace me"}).encode(),
            headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "x-request-id": "traced-1"})
        assert urllib.request.urlopen(request, timeout=10).status == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len([s for s, _ in spans() if s["traceId"] == TRACE_ID]) < 2:
            time.sleep(0.05)
        ours = {s["kind"]: (s, resource) for s, resource in spans() if s["traceId"] == TRACE_ID}
        server, resource = ours[2]
        client, _ = ours[3]
        assert server["name"] == "generate" and server["parentSpanId"] == PARENT_ID
        assert client["parentSpanId"] == server["spanId"] and client["name"] == "ollama gemma3:4b"
        assert server["status"]["code"] == 1 and int(server["endTimeUnixNano"]) >= int(server["startTimeUnixNano"])
        assert {"key": "service.name", "value": {"stringValue": "gw-test"}} in resource["attributes"]
        attributes = {a["key"]: a["value"] for a in server["attributes"]}
        assert attributes["gateway.request_id"] == {"stringValue": "traced-1"}
        assert all(path == "/v1/traces" for path, _ in Collector.received)
        sent = [e for e in gw.fakes["ollama"].log() if e["event"] == "request" and e["path"] == "/api/generate"][-1]
        assert sent["headers"]["traceparent"] == f"00-{TRACE_ID}-{client['spanId']}-01"
    finally:
        gw.stop()


def test_without_an_endpoint_the_client_context_still_reaches_the_provider(gateway):
    request = urllib.request.Request(
        gateway.url + "/api/v1/generate", data=json.dumps({"model": "tiny", "prompt": "pass it on"}).encode(),
        headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    assert urllib.request.urlopen(request, timeout=10).status == 200
    sent = [e for e in gateway.fakes["ollama"].log() if e["event"] == "request" and e["path"] == "/api/generate"][-1]
    assert sent["headers"]["traceparent"] == f"00-{TRACE_ID}-{PARENT_ID}-01"
