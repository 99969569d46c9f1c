"""The README's examples work as printed: each curl line and the Python gRPC example run against a real
gateway (only the port differs)."""

import pathlib
import re
import subprocess
import sys

import pytest

README = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_readme_curl_examples(gateway):
    commands = [line for block in blocks("bash") for line in block.splitlines() if line.startswith("curl ")]
    assert len(commands) >= 6
    for command in commands:
        command = command.replace("localhost:8000", f"127.0.0.1:{gateway.port}")
        result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0 and result.stdout, command
        assert not result.stdout.startswith('{"error"'), (command, result.stdout)


def run_python_block(index, gateway, tmp_path, env=None):
    """Runs the README's `index`th Python block against the test gateway; returns its standard output."""
    code = blocks("python")[index].replace("localhost:8000", f"127.0.0.1:{gateway.port}")
    script = tmp_path / f"example{index}.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("index,expected", [
    (0, "Hello over gRPC\none two three\n"), (1, "tool_use [('get_weather', '{}')]\n")])
def test_readme_grpc_examples(gateway, stubs, tmp_path, index, expected):
    stub_dir = pathlib.Path(stubs.module("modelgateway.v1.gateway_pb2").__file__).parents[2]
    assert run_python_block(index, gateway, tmp_path, env={"PYTHONPATH": str(stub_dir)}) == expected


@pytest.mark.parametrize("index,expected", [
    (2, "Hello OpenAI SDK\none two\n"), (3, "Hello Anthropic SDK\none two\n")])
def test_readme_sdk_examples(gateway, index, expected, tmp_path):
    assert run_python_block(index, gateway, tmp_path) == expected
