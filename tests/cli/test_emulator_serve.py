"""``aiospaces emulator serve``: clear failures, printed settings, state across a SIGKILL."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from typer.testing import CliRunner, Result

from aiospaces.cli import app
from tests.cli.child import CliProcess

SUB, PUB = "sub-c-kill", "pub-c-kill"


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``serve`` to its end (it must fail at start) and return what it did."""
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "aiospaces.cli", "emulator", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def serve_in_process(*args: str) -> Result:
    """Run ``serve`` in this process (it must fail at start)."""
    return CliRunner().invoke(app, ["emulator", "serve", *args])


def one_clear_line(result: subprocess.CompletedProcess[str] | Result) -> str:
    code = (
        result.returncode if isinstance(result, subprocess.CompletedProcess) else result.exit_code
    )
    assert code == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("aiospaces emulator: ")
    return lines[0]


def test_a_taken_port_is_one_line_and_exit_code_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_clear_line(serve("--port", str(port)))
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert "in use" in line


def test_a_bad_state_file_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database\n" * 200)
    line = one_clear_line(serve_in_process("--port", "0", "--state", str(bad)))
    assert f"{bad} is not an emulator state file" in line


def test_an_unwritable_storage_dir_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    line = one_clear_line(serve_in_process("--port", "0", "--storage-dir", str(blocker / "files")))
    assert "cannot use storage directory" in line


def test_an_unknown_fault_mode_is_one_line_and_exit_code_2() -> None:
    line = one_clear_line(serve_in_process("--port", "0", "--fault-mode", "some"))
    assert "--fault-mode: mode must be one of first, all, not 'some'" in line


def start(state: Path) -> tuple[CliProcess, str, list[str]]:
    """Serve with ``--state``; return the child, its base URL and what it printed first."""
    cli = CliProcess("emulator", "serve", "--port", "0", "--state", str(state))
    first = cli.readline(timeout=20)
    base_url = first.split()[4]
    printed = [first]
    while printed[-1] not in ("}\n", ""):
        printed.append(cli.readline(timeout=10))
    return cli, base_url, printed


def test_serve_prints_the_dashboard_and_its_settings(tmp_path: Path) -> None:
    state = tmp_path / "emulator.db"
    cli, base_url, printed = start(state)
    with cli:
        assert printed[1] == f"dashboard: {base_url}/_emulator/ui\n"
        assert f"state: {state} (kept across restarts)\n" in printed
        assert f"files: {state}.files\n" in printed
        assert "fault rules: the first rule that fires acts\n" in printed
        assert "request log: the last 1000 requests (/_emulator/requests)\n" in printed
        settings = json.loads("".join(printed[printed.index("{\n") :]))
        assert set(settings) == {"pubnub", "mux", "neuroio", "pubnub_admin"}


def upload(client: httpx.Client, name: str) -> httpx.Response:
    """Upload a file named ``name`` as the PubNub SDKs do; return the storage's answer."""
    form = client.post(f"/v1/files/{SUB}/channels/files/generate-upload-url", json={"name": name})
    request = form.json()["file_upload_request"]
    fields = {field["key"]: field["value"] for field in request["form_fields"]}
    return client.post(request["url"], data=fields, files={"file": (name, b"x" * 50_000)})


def test_every_acknowledged_write_survives_a_sigkill(tmp_path: Path) -> None:
    state = tmp_path / "emulator.db"
    cli, base_url, _ = start(state)
    acknowledged: list[tuple[str, str]] = []  # ("space", "message" or "file", its name)
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            for n in range(100_000):
                if stop.is_set():
                    return
                name = f"w{worker}-{n}"
                try:
                    if n % 3 == 1:
                        url = f"/publish/{PUB}/{SUB}/0/log/0/%22{name}%22?uuid=u"
                        response = client.get(url)
                        kind = "message"
                    elif n % 3 == 2:
                        response = upload(client, name)
                        kind = "file"
                    else:
                        response = client.patch(
                            f"/v2/objects/{SUB}/channels/{name}", json={"name": name}
                        )
                        kind = "space"
                except httpx.TransportError:
                    return  # the server is gone: this write was never acknowledged
                assert response.is_success, response.text
                with lock:
                    acknowledged.append((kind, name))

    with cli:
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        cli.wait_until(lambda: len(acknowledged) >= 200, "200 acknowledged writes", timeout=30)
        cli.process.send_signal(signal.SIGKILL)  # mid-stream: the writers are still going
        cli.process.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    assert cli.process.returncode == -signal.SIGKILL

    again, base_url, _ = start(state)
    with again:
        kept = httpx.get(f"{base_url}/_emulator/state", timeout=10).json()["pubnub"][SUB]
    spaces = {channel["id"] for channel in kept["channels"]}
    messages = {record["message"] for record in kept["messages"] if record["channel"] == "log"}
    files = {file["key"].rsplit("/", 1)[1] for file in kept["files"]}
    assert {name for kind, name in acknowledged if kind == "file"} <= files
    blobs = list(Path(f"{state}.files").glob("*.blob"))
    assert len(blobs) == len(kept["files"])  # no bytes left without their metadata
    assert not list(Path(f"{state}.files").glob("*.part"))
    assert {name for kind, name in acknowledged if kind == "space"} <= spaces
    assert {name for kind, name in acknowledged if kind == "message"} <= messages
    assert len(acknowledged) >= 200


def test_serve_takes_the_fault_mode_and_the_log_size() -> None:
    options = ("--fault-mode", "all", "--request-log-size", "3")
    with CliProcess("emulator", "serve", "--port", "0", *options) as cli:
        base_url = cli.readline(timeout=20).split()[4]
        printed = [cli.readline(timeout=10) for _ in range(6)]
        assert printed[-2] == "fault rules: every rule that fires acts\n"
        assert printed[-1] == "request log: the last 3 requests (/_emulator/requests)\n"
        httpx.post(f"{base_url}/_emulator/faults", json={"path": "/time/0", "delay": 0.01})
        httpx.post(f"{base_url}/_emulator/faults", json={"path": "/time/0", "status": 503})
        assert httpx.get(f"{base_url}/time/0").status_code == 503
        fired = [rule["fired"] for rule in httpx.get(f"{base_url}/_emulator/faults").json()]
        assert fired == [1, 1]  # both acted: the delay, then the 503
