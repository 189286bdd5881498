"""The journal's types: records as JSON, forms and their expiry, settings, keys, the status."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import attrs
import cattrs
import httpx
import pytest

from aiospaces.core.errors import ValidationError
from aiospaces.pubnub._forms import parse_reservation
from aiospaces.pubnub._sqlite_commit import record_json
from aiospaces.pubnub.job_status import STATUS_FORMAT, JobStatus
from aiospaces.pubnub.journal import (
    FINAL_STATES,
    FORM_LIFETIME,
    FORM_MARGIN,
    FileRecord,
    FileState,
    JobSettings,
    Reservation,
)
from aiospaces.pubnub.journal_steps import item_key, record_for
from aiospaces.pubnub.report import UploadItem

FORM = Reservation(
    file_id="5a3eb9b5-d6a1-4d4b-9a0d-6e5d7e0e6c35",
    file_name="cat.png",
    url="https://bucket.example/",
    fields=(("key", "sub/ch/5a3e/cat.png"), ("Policy", "e30=")),
    expires=1_733_237_213.0,
    created=1_733_237_153.0,
)


def test_a_form_is_valid_until_its_margin_before_expiry() -> None:
    assert FORM.valid(FORM.expires - FORM_MARGIN - 0.5)
    assert not FORM.valid(FORM.expires - FORM_MARGIN)
    assert not FORM.valid(FORM.expires + 1)
    assert FORM.valid(FORM.expires - 1, margin=0)


def test_records_round_trip_through_json() -> None:
    record = FileRecord(
        key="/data/cat.png",
        name="cat.png",
        size=1234,
        state=FileState.STORED,
        reservation=FORM,
        abandoned=("old-1", "old-2"),
        step=None,
        attempts=3,
        started=10.5,
        updated=11.25,
        owner="worker-1",
        lease_until=70.0,
    )
    text = record.to_json()
    data = json.loads(text)
    assert data["state"] == "stored"
    assert data["reservation"]["fields"] == [["key", "sub/ch/5a3e/cat.png"], ["Policy", "e30="]]
    assert data["abandoned"] == ["old-1", "old-2"]
    assert FileRecord.from_json(text) == record
    assert FileRecord.from_dict(record.to_dict()) == record
    assert Reservation.from_dict(FORM.to_dict()) == FORM
    assert record.file_id == FORM.file_id
    assert FileRecord("k", "n").file_id is None


@pytest.mark.parametrize(
    "record",
    [
        FileRecord("k", "n"),
        FileRecord("/d/é.bin", "é.bin", 5, FileState.RESERVED, FORM, ("x",), None, "step", "e"),
        FileRecord("/d/a", "a", None, FileState.ANNOUNCED, FORM, timetoken=17, attempts=2),
    ],
)
def test_to_json_writes_every_field_as_to_dict_does(record: FileRecord) -> None:
    # to_json is written out by hand for speed: it must name every field, in order.
    data = json.loads(record.to_json())
    assert list(data) == [field.name for field in attrs.fields(FileRecord)]
    assert data == record.to_dict()
    assert list(data["reservation"] or {}) == (
        [field.name for field in attrs.fields(Reservation)] if record.reservation else []
    )


def test_to_json_is_the_compact_text_of_to_dict() -> None:
    stored = FileRecord("/d/a", "a", 3, FileState.STORED, FORM, ("x",), None, None, None, 1, 2.5)
    announced = attrs.evolve(stored, state=FileState.ANNOUNCED, timetoken=17, updated=9.75)
    # names that hold the text the form is put in place of
    tricky = FileRecord('/d/,"reservation":null,', ',"reservation":null,"', 1, reservation=FORM)
    for record in (stored, announced, FileRecord("k", "n"), tricky):
        assert record.to_json() == json.dumps(record.to_dict(), separators=(",", ":"))
    # what the writer process is sent gives the same text (as_tuple: plain values only)
    assert record_json(stored.as_tuple()) == stored.to_json()
    assert marshal.loads(marshal.dumps(stored.as_tuple())) == stored.as_tuple()  # noqa: S302


@pytest.mark.parametrize(
    "data",
    [
        {"key": "/a"},  # no name
        {"key": "/a", "name": "a", "state": "lost"},  # no such state
        {"key": "/a", "name": "a", "surprise": 1},  # a field of another version
    ],
)
def test_records_that_are_not_records_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(cattrs.BaseValidationError):
        FileRecord.from_dict(data)


def test_final_states() -> None:
    assert {FileState.ANNOUNCED, FileState.FAILED, FileState.UNKNOWN} == FINAL_STATES
    assert FileState.UNKNOWN.value == "announcement_unknown"


def test_settings_record_whether_there_is_a_key_never_the_key() -> None:
    settings = JobSettings("ch", "sub-c-1", encrypted=True, crypto="aescbc")
    assert settings.to_dict() == {
        "channel": "ch",
        "subscribe_key": "sub-c-1",
        "encrypted": True,
        "crypto": "aescbc",
    }
    assert JobSettings.from_dict(settings.to_dict()) == settings
    settings.check(JobSettings("ch", "sub-c-1", True, "aescbc"))  # the same: no error


def _answer(expiration: object = "2024-12-03T14:46:53Z") -> httpx.Response:
    request: dict[str, object] = {
        "url": "https://bucket.example/",
        "method": "POST",
        "form_fields": [{"key": "key", "value": "k"}, {"key": "Policy", "value": "e30="}],
    }
    if expiration is not None:
        request["expiration_date"] = expiration
    body = {"status": 200, "data": {"id": "id-1", "name": "a.txt"}, "file_upload_request": request}
    return httpx.Response(200, json=body)


def test_the_form_expires_when_the_answer_says() -> None:
    reservation = parse_reservation(_answer(), now=1_733_237_153.0)
    assert reservation.expires == 1_733_237_213.0  # 2024-12-03T14:46:53Z
    assert reservation.created == 1_733_237_153.0
    assert reservation.fields == (("key", "k"), ("Policy", "e30="))
    assert (reservation.file_id, reservation.file_name) == ("id-1", "a.txt")


@pytest.mark.parametrize("expiration", [None, "soon", "2024-12-03T14:46:53", 1733237213])
def test_without_a_readable_expiry_a_form_lives_a_minute(expiration: object) -> None:
    reservation = parse_reservation(_answer(expiration), now=1000.0)
    assert reservation.expires == 1000.0 + FORM_LIFETIME


def test_keys_are_absolute_paths_or_given_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert item_key(UploadItem("a/b.bin")) == str(tmp_path / "a" / "b.bin")
    assert item_key(UploadItem(tmp_path / "c.bin", file_name="other.bin")) == str(
        tmp_path / "c.bin"
    )
    assert item_key(UploadItem(b"data", file_name="d.bin")) == "d.bin"
    with pytest.raises(ValidationError, match="file_name is required"):
        item_key(UploadItem(b"data"))
    record = record_for(UploadItem(b"data", file_name="d.bin", size=4))
    assert record == FileRecord(key="d.bin", name="d.bin", size=4)
    assert record_for(UploadItem(tmp_path / "c.bin"), size=9).size == 9


def _done(key: str, started: float, updated: float, size: int) -> FileRecord:
    return FileRecord(
        key, key, size, FileState.ANNOUNCED, FORM, timetoken=1, started=started, updated=updated
    )


def test_status_counts_and_measures_busy_time() -> None:
    records = [
        _done("/a", 100.0, 102.0, 1000),
        _done("/b", 101.0, 103.0, 3000),  # overlaps /a: 100..103
        _done("/c", 200.0, 201.0, 4000),  # after a pause (a crash, a rerun): 200..201
        FileRecord("/d", "d", 10, FileState.FAILED, step="upload", started=200.5, updated=200.75),
        FileRecord("/e", "e", 10, FileState.UNKNOWN, FORM, step="publish", error="lost"),
        FileRecord("/f", "f"),
    ]
    settings = JobSettings("ch", "sub-c-1", False)
    status = JobStatus.of(records, settings)
    assert status.total == 6
    assert status.busy_seconds == 4.0
    assert status.bytes_announced == 8000
    assert status.files_per_second == 3 / 4
    assert status.bytes_per_second == 2000.0
    assert [r.key for r in status.failures] == ["/d", "/e"]
    exported = status.to_dict()
    assert exported["format"] == STATUS_FORMAT
    assert exported["settings"] == settings.to_dict()
    assert exported["counts"] == {
        "pending": 1,
        "reserved": 0,
        "stored": 0,
        "announced": 3,
        "failed": 1,
        "announcement_unknown": 1,
    }
    assert [f["key"] for f in exported["failures"]] == ["/d", "/e"]
    first = exported["files"][0]
    assert first == {
        "key": "/a",
        "name": "/a",
        "size": 1000,
        "state": "announced",
        "file_id": FORM.file_id,
        "timetoken": "1",
        "abandoned": [],
        "attempts": 0,
        "step": None,
        "error": None,
        "updated": 102.0,
    }
    assert "fields" not in json.dumps(exported)  # no upload form in the export
    json.dumps(exported)  # JSON-ready


def test_status_before_any_work() -> None:
    status = JobStatus.of([FileRecord("/a", "a")], None)
    assert status.busy_seconds == 0
    assert status.files_per_second is None
    assert status.bytes_per_second is None
    assert status.to_dict()["settings"] is None


def test_a_reservation_and_its_record_never_show_the_form_in_their_repr() -> None:
    signed = attrs.evolve(FORM, fields=(("X-Amz-Signature", "f00dfeed"), ("Policy", "e30=")))
    record = FileRecord("/a/cat.png", "cat.png", state=FileState.RESERVED, reservation=signed)
    assert "f00dfeed" not in repr(signed)
    assert "f00dfeed" not in repr(record)
    assert signed.file_id in repr(record)
    assert FileRecord.from_json(record.to_json()).reservation == signed  # still kept


def test_job_settings_for_a_job_record_the_cryptor_only_when_encrypted() -> None:
    plain = JobSettings.for_job("ch", "sub-c", cipher_key=None, crypto="legacy")
    assert (plain.encrypted, plain.crypto) == (False, None)
    secret = JobSettings.for_job("ch", "sub-c", cipher_key="k", crypto="legacy")
    assert (secret.encrypted, secret.crypto) == (True, "legacy")
    assert "k" not in secret.to_dict().values()  # the key itself is never recorded
    with pytest.raises(ValidationError, match="crypto"):
        JobSettings.for_job("ch", "sub-c", cipher_key="k", crypto="aes")
