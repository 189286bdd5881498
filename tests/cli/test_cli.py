from __future__ import annotations

from typer.testing import CliRunner

import aiospaces
from aiospaces.cli import app

runner = CliRunner()


def test_demo_runs_end_to_end() -> None:
    result = runner.invoke(app, ["demo", "--count", "12", "--files", "30"])
    assert result.exit_code == 0, result.output
    assert "listed 12 rooms" in result.output
    assert "every check passed" in result.output
    summary = result.output[result.output.index("aiospaces demo summary") :]
    rows = [line for line in summary.splitlines() if line.startswith("│")]
    parts = [row.split("│")[1].strip() for row in rows]
    assert parts == ["PubNub spaces", "PubNub files", "Mux", "NeuroIO", "PubNub Admin"]
    assert all(row.split("│")[2].strip().endswith(" ok") for row in rows)
    assert "mux: " not in result.output  # each step is named once, under its part
    assert "listed 12 rooms" not in summary  # the steps are not repeated


def test_demo_on_the_aiohttp_backend() -> None:
    result = runner.invoke(app, ["demo", "--backend", "aiohttp", "--count", "6", "--files", "9"])
    assert result.exit_code == 0, result.output


def test_demo_rejects_an_unknown_backend() -> None:
    result = runner.invoke(app, ["demo", "--backend", "curl"])
    assert result.exit_code == 2
    assert "backend" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.output.strip() == aiospaces.__version__


def test_emulator_serve_prints_settings_and_serves() -> None:
    import json

    import httpx

    from tests.cli.child import CliProcess

    with CliProcess("emulator", "serve", "--port", "0", "--subscribe-timeout", "0.2") as cli:
        first = cli.readline(timeout=20)  # printed once the server listens
        assert first.startswith("aiospaces emulator listening on http://127.0.0.1:"), first
        base_url = first.split()[4]
        preamble = [cli.readline(timeout=10)]  # the dashboard and settings, then the JSON
        while preamble[-1] not in ("{\n", ""):
            preamble.append(cli.readline(timeout=10))
        assert preamble[0] == f"dashboard: {base_url}/_emulator/ui\n"
        assert "state: in memory (--state keeps it)\n" in preamble
        lines = preamble[-1:]
        while lines[-1] not in ("}\n", ""):  # the settings JSON ends with a bare brace
            lines.append(cli.readline(timeout=10))
        settings = json.loads("".join(lines))
        assert settings["pubnub"]["origin"] == base_url.removeprefix("http://")
        response = httpx.get(f"{base_url}/v2/objects/sub-c-cli/channels", timeout=10)
        assert response.json() == {"status": 200, "data": []}
        poll = httpx.get(f"{base_url}/v2/subscribe/sub-c-cli/ch/0?tt=1", timeout=10)
        assert poll.json()["m"] == []  # held for --subscribe-timeout, then empty
