"""SIGHUP reloads the configuration (contract §9): new aliases, models and keys at once, a broken file
changes nothing, streams in flight finish on the old configuration, and each result is logged and counted."""

import json
import signal
import threading
import time

import pytest

from conftest import GatewayUnderTest
from test_gateway_rest import curl

# The fake Ollama lists gemma3:12b too: discovery off, so a model the reload removes is gone, rather than
# back as a discovered model once the new configuration's first probe lands (a race with the test's calls).
CONFIG = """
server: {port: 0}
AUTH
providers:
  - {name: ollama, type: ollama, endpoint: "OLLAMA_URL", discover: false}
  - {name: builtin, type: builtin}
models:
  - {name: "gemma3:4b", provider: ollama, aliases: [ALIAS]}
EXTRA
discovery: {probe_interval_s: 60}
"""


def config(alias="tiny", extra='  - {name: "gemma3:12b", provider: ollama}', auth=""):
    return CONFIG.replace("ALIAS", alias).replace("EXTRA", extra).replace("AUTH", auth)


@pytest.fixture()
def gw(tmp_path):
    template = config().replace("{", "{{").replace("}", "}}").replace("OLLAMA_URL", "{ollama}")
    under_test = GatewayUnderTest(tmp_path, template, fake_models={"ollama": ["gemma3:4b", "gemma3:12b"]})
    under_test.config_path = tmp_path / "gateway.yaml"
    yield under_test
    under_test.stop()


def rewrite(gw, text):
    gw.config_path.write_text(text.replace("OLLAMA_URL", gw.fakes["ollama"].url))
    gw.server.process.send_signal(signal.SIGHUP)


def wait_for(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def reloads(gw, result):
    _, _, metrics = curl(gw, "GET", "/metrics")
    line = f'gateway_config_reloads_total{{result="{result}"}}'
    return next((float(l.split()[-1]) for l in metrics.splitlines() if l.startswith(line)), 0)


def generate(gw, model, headers=()):
    status, _, body = curl(gw, "POST", "/api/v1/generate", {"model": model, "prompt": "hi"}, headers=headers)
    return status, json.loads(body)


def test_sighup_swaps_aliases_models_and_keys_and_in_flight_streams_finish(gw):
    result = {}

    def long_stream():
        status, _, body = curl(gw, "POST", "/api/v1/generate", {
            "model": "tiny", "prompt": "fault:tokens=40 fault:delay=25", "stream": True})
        result["events"] = [json.loads(l[6:]) for l in body.split("\n") if l.startswith("data: ")]

    streaming = threading.Thread(target=long_stream)
    streaming.start()
    assert wait_for(lambda: any(e.get("path") == "/api/generate" for e in gw.fakes["ollama"].log()))

    # A new alias, a removed model.
    rewrite(gw, config(alias="mini", extra=""))
    assert wait_for(lambda: reloads(gw, "ok") == 1)
    assert generate(gw, "mini")[1]["model"] == "gemma3:4b"
    assert generate(gw, "tiny")[0] == 404 and generate(gw, "gemma3:12b")[0] == 404

    # A broken file changes nothing, and says why.
    gw.config_path.write_text("providers: [{name: x, type: nope}]\n")
    gw.server.process.send_signal(signal.SIGHUP)
    assert wait_for(lambda: reloads(gw, "error") == 1)
    assert generate(gw, "mini")[0] == 200
    refused = [l for l in gw.server.logs() if l.get("msg", "").startswith("configuration reload refused")]
    assert refused and "type" in refused[-1]["reason"]

    # A new key: from now on requests need it.
    rewrite(gw, config(alias="mini", extra="", auth="auth: {keys: [{name: team, key: sk-new}]}"))
    assert wait_for(lambda: reloads(gw, "ok") == 2)
    assert generate(gw, "mini")[0] == 401
    assert generate(gw, "mini", ["authorization: Bearer sk-new"])[0] == 200

    streaming.join(timeout=30)
    events = result["events"]
    assert events[-1]["done"] and events[-1]["finish_reason"] == "stop", "the stream in flight was cut by the reload"
    assert len([e for e in events if not e["done"]]) == 40
