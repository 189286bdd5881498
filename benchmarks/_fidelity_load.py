"""Loading recorded HTTP exchanges for ``fidelity_audit.py``: cassettes out of git checkouts.

Three cassette formats are read, each into [Recorded][] exchanges:

* vcrpy JSON (``{"version": 1, "interactions": [...]}``), the pubnub/python repository's newer
  fixtures; their bodies are ``{"pickle": base64}`` (a pickled ``{"string": ...}`` or bytes),
  unpickled with every class refused, so nothing in a cassette can run code;
* vcrpy YAML (``interactions:``), its older fixtures; bodies are text or ``!!binary`` (often
  gzip-compressed);
* Ruby VCR YAML (``http_interactions:``), the pubnub/ruby repository's; bodies are
  ``{"encoding", "string"}`` or ``{"base64_string"}``.

A checkout is read through git (``git ls-tree`` of ``HEAD``, or every version in the history
with ``history=True``), or as plain files when the directory is not a git repository. Identical
blobs are read once.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import pickle
import subprocess
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["Cassette", "Recorded", "load_cassettes"]

_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Recorded:
    """One recorded request and its response (header names in lower case)."""

    method: str
    url: str
    req_headers: dict[str, str]
    req_body: bytes | None
    status: int
    resp_headers: dict[str, str]
    resp_body: bytes | None

    def fingerprint(self) -> str:
        """Return what makes two exchanges the same recording (dates and agents left out)."""
        keep = ("content-type", "location", "if-match")
        parts = [
            self.method,
            self.url,
            repr(sorted((k, v) for k, v in self.req_headers.items() if k in keep)),
            repr(self.req_body),
            str(self.status),
            repr(sorted((k, v) for k, v in self.resp_headers.items() if k in keep)),
            repr(self.resp_body),
        ]
        return "\x00".join(parts)


@dataclass
class Cassette:
    """The exchanges of one cassette file at one commit, in recorded order."""

    repo: str
    commit: str
    path: str
    exchanges: list[Recorded] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``repo@commit:path``, where the cassette was seen."""
        return f"{self.repo}@{self.commit[:7]}:{self.path}"


# -- bodies --------------------------------------------------------------------------------


class _NoClasses(pickle.Unpickler):
    """Unpickle plain data only: any class or function reference is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused: {module}.{name}")


def _unpickle(encoded: str) -> Any:
    return _NoClasses(io.BytesIO(base64.b64decode(encoded))).load()


def _to_bytes(value: Any) -> bytes | None:
    """Turn a recorded body in any of the formats' forms into bytes (None: no body)."""
    if value is None or value in ("", b""):
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, dict):
        if "pickle" in value:
            try:
                return _to_bytes(_unpickle(value["pickle"]))
            except (pickle.UnpicklingError, ValueError, EOFError):
                return b"<unrecorded: pickled object>"
        if "base64_string" in value:
            return base64.b64decode(value["base64_string"])
        if isinstance(value.get("binary"), str):  # vcrpy JSON: base64 of the raw bytes
            return base64.b64decode(value["binary"])
        for key in ("string", "binary"):
            if key in value:
                return _to_bytes(value[key])
    return b"<unrecorded: " + type(value).__name__.encode() + b">"


def _decompress(body: bytes | None, headers: dict[str, str]) -> bytes | None:
    if body is None:
        return None
    encoding = headers.get("content-encoding", "")
    try:
        if body[:2] == b"\x1f\x8b":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError):
        return body
    return body


def _headers(raw: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in (raw or {}).items():
        values = value if isinstance(value, list) else [value]
        headers[str(name).lower()] = ", ".join(str(v) for v in values)
    return headers


def _status(raw: Any) -> int:
    return int(raw["code"] if isinstance(raw, dict) else raw)


def _exchange(request: dict[str, Any], response: dict[str, Any]) -> Recorded:
    req_headers = _headers(request.get("headers"))
    resp_headers = _headers(response.get("headers"))
    return Recorded(
        method=str(request["method"]).upper(),
        url=str(request["uri"]),
        req_headers=req_headers,
        req_body=_decompress(_to_bytes(request.get("body")), req_headers),
        status=_status(response["status"]),
        resp_headers=resp_headers,
        resp_body=_decompress(_to_bytes(response.get("body")), resp_headers),
    )


def parse_cassette(path: str, text: bytes) -> list[Recorded]:
    """Return the exchanges of one cassette file (empty if it is no cassette)."""
    try:
        if path.endswith(".json"):
            document = json.loads(text)
        else:
            document = yaml.load(text, Loader=yaml.CSafeLoader)
    except (ValueError, yaml.YAMLError):
        return []
    if not isinstance(document, dict):
        return []
    interactions = document.get("interactions") or document.get("http_interactions") or []
    exchanges = []
    for item in interactions:
        if isinstance(item, dict) and "request" in item and "response" in item:
            exchanges.append(_exchange(item["request"], item["response"]))
    return exchanges


# -- git -------------------------------------------------------------------------------------


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(  # noqa: S603 - fixed git commands over a local checkout
        ["git", "-C", str(repo), *args],  # noqa: S607
        input=stdin,
        capture_output=True,
        check=True,
    ).stdout


def _is_git(repo: Path) -> bool:
    try:
        _git(repo, "rev-parse", "--git-dir")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False
    return True


def _blob_versions(repo: Path, under: str, history: bool) -> list[tuple[str, str, str]]:
    """Return ``(commit, path, blob)`` for each distinct cassette blob under ``under``.

    A blob seen at several commits or paths is listed once, at the newest commit it was
    written by (``git log`` lists newest first).
    """
    found: dict[str, tuple[str, str, str]] = {}
    if history:
        log = _git(
            repo,
            *("log", "--all", "--root", "--no-renames", "--raw", "--no-abbrev"),
            *("--format=commit %H", "--", under),
        ).decode("utf-8", "replace")
        commit = ""
        for line in log.splitlines():
            if line.startswith("commit "):
                commit = line.split()[1]
            elif line.startswith(":"):
                meta, _, path = line.partition("\t")
                blob = meta.split()[3]
                if set(blob) != {"0"} and path.endswith(_SUFFIXES) and blob not in found:
                    found[blob] = (commit, path, blob)
    head = _git(repo, "rev-parse", "HEAD").decode().strip()
    tree = _git(repo, "ls-tree", "-r", "--full-tree", "HEAD", "--", under).decode()
    for line in tree.splitlines():
        meta, _, path = line.partition("\t")
        blob = meta.split()[2]
        if path.endswith(_SUFFIXES):
            found[blob] = (head, path, blob)  # a blob still at HEAD is labelled with HEAD
    return list(found.values())


def _read_blobs(repo: Path, blobs: list[str]) -> Iterator[tuple[str, bytes]]:
    out = _git(repo, "cat-file", "--batch", stdin="".join(b + "\n" for b in blobs).encode())
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        sha, _, size = out[pos:end].split()
        start = end + 1
        yield sha.decode(), out[start : start + int(size)]
        pos = start + int(size) + 1


def load_cassettes(
    repo: Path, name: str, under: str, *, history: bool = False
) -> Iterator[Cassette]:
    """Yield the cassettes under ``under`` in the checkout ``repo`` (labelled ``name``).

    Args:
        repo: A git checkout (bare or not), or a plain directory.
        name: The repository's name for labels, e.g. ``pubnub/python``.
        under: The fixtures folder inside the repository.
        history: Also every older version of each cassette in the git history (all refs).
    """
    if not _is_git(repo):
        for file in sorted((repo / under).rglob("*")):
            if file.suffix in _SUFFIXES and file.is_file():
                path = str(file.relative_to(repo))
                exchanges = parse_cassette(path, file.read_bytes())
                yield Cassette(name, "worktree", path, exchanges)
        return
    versions = _blob_versions(repo, under, history)
    where = {blob: (commit, path) for commit, path, blob in versions}
    for blob, text in _read_blobs(repo, sorted(where)):
        commit, path = where[blob]
        yield Cassette(name, commit, path, parse_cassette(path, text))
