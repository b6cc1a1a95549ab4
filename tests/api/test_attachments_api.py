"""Attachments (DOMAIN.md "Attachments must be devoid of End User customer data"; issue 4 item 5):
scanned before storage, refused with findings or redacted on request, images confirmed and
stripped of metadata, stored through Django's storage API, served only as downloads."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from caredesk.cases.models import Attachment, CaseEvent
from tests.conftest import MULTIPART, World, case_payload

pytestmark = pytest.mark.django_db

LOG_WITH_DATA = (
    b"2026-11-02 08:30:01.120 INFO  TServer: link up, version 8.5.101.22\n"
    b"2026-11-02 08:30:02.310 INFO  call from ANI +1 415 555 0132 to DN 4021\n"
    b"2026-11-02 08:30:03.001 WARN  agent jane.doe@example.com not ready\n"
)
CLEAN_LOG = b"2026-11-02 08:30:01.120 INFO  TServer: link up, version 8.5.101.22, trunk 17\n"


def stored_files() -> set[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return {p for p in root.rglob("*") if p.is_file()}


def upload(world: World, case_id: int, name: str, data: bytes, user: Any = None, **form: Any) -> Any:
    api = world.client(user or world.a.dcs[0])
    return api.post(f"/api/cases/{case_id}/attachments", {MULTIPART: {"file": SimpleUploadedFile(name, data), **form}})


@pytest.fixture
def case_id(world: World) -> int:
    r = world.client(world.a.dcs[0]).post("/api/cases", case_payload(world.a.account))
    assert r.status_code == 201
    return int(r.json()["id"])


def test_a_clean_log_is_stored_and_downloaded_as_an_attachment(world: World, case_id: int) -> None:
    r = upload(world, case_id, "tserver.log", CLEAN_LOG)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "text" and body["redacted"] is False and body["size"] == len(CLEAN_LOG)
    d = world.client(world.a.dcs[1]).get(f"/api/attachments/{body['id']}/download")
    assert d.status_code == 200
    assert d.headers["Content-Disposition"].startswith("attachment;")
    assert d.headers["Content-Type"] == "application/octet-stream"
    assert b"".join(d.streaming_content) == CLEAN_LOG  # read to the end: that closes the file
    listed = world.client(world.a.staff).get(f"/api/cases/{case_id}/attachments").json()
    assert [a["id"] for a in listed] == [body["id"]]


def test_a_log_with_customer_data_is_refused_with_type_and_line_and_nothing_is_stored(
    world: World, case_id: int
) -> None:
    before_files, before_rows = stored_files(), Attachment.objects.count()
    r = upload(world, case_id, "tserver.log", LOG_WITH_DATA)
    assert r.status_code == 422, r.content
    err = r.json()["error"]
    assert err["code"] == "customer_data_found"
    found = {(f["type"], f["line"]) for f in err["findings"]}
    assert ("phone", 2) in found and ("email", 3) in found
    assert "555 0132" not in r.content.decode() and "jane.doe@example.com" not in r.content.decode()
    assert stored_files() == before_files and Attachment.objects.count() == before_rows


def test_redaction_on_request_stores_only_the_redacted_bytes_and_says_so_on_the_timeline(
    world: World, case_id: int
) -> None:
    r = upload(world, case_id, "tserver.log", LOG_WITH_DATA, redact="true")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["redacted"] is True and body["redaction"]["counts"] == {"email": 1, "phone": 1}
    stored = (
        Path(settings.STORAGES["default"]["OPTIONS"]["location"]) / Attachment.objects.get(pk=body["id"]).storage_name
    )
    content = stored.read_bytes()
    assert b"555 0132" not in content and b"jane.doe" not in content
    assert b"version 8.5.101.22" in content and b"DN 4021" in content
    event = CaseEvent.objects.filter(case_id=case_id, kind="attachment_added").get()
    assert any("phone" in line for line in event.data["redacted"])


def test_archives_are_scanned_member_by_member(world: World, case_id: int) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("logs/clean.log", CLEAN_LOG)
        zf.writestr("logs/calls.log", LOG_WITH_DATA)
    r = upload(world, case_id, "logs.zip", buf.getvalue())
    assert r.status_code == 422
    assert {f.get("member") for f in r.json()["error"]["findings"]} == {"logs/calls.log"}
    r = upload(world, case_id, "calls.log.gz", gzip.compress(LOG_WITH_DATA), redact="true")
    assert r.status_code == 201 and r.json()["redacted"] is True


def test_an_archive_bomb_is_refused_whatever_the_dc_asks(world: World, case_id: int) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.log", b"0" * (50 * 1024 * 1024))
    r = upload(world, case_id, "bomb.zip", buf.getvalue(), redact="true")
    assert r.status_code == 422 and r.json()["error"]["code"] == "upload_refused"
    assert r.json()["error"]["reason"] in {"compression_ratio", "too_large"}


def test_path_traversal_in_an_archive_is_refused(world: World, case_id: int) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../etc/cron.d/evil", CLEAN_LOG)
    r = upload(world, case_id, "x.zip", buf.getvalue())
    assert r.status_code == 422 and r.json()["error"]["reason"] == "path_traversal"


def _jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (32, 32), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x9286] = "user comment"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_screenshots_need_confirmation_and_lose_their_metadata(world: World, case_id: int) -> None:
    data = _jpeg_with_exif()
    assert b"SecretCam" in data
    r = upload(world, case_id, "screen.jpg", data)
    assert r.status_code == 422 and "confirm_no_customer_data" in r.json()["error"]["fields"]
    r = upload(world, case_id, "screen.jpg", data, confirm_no_customer_data="true")
    assert r.status_code == 201 and r.json()["kind"] == "image"
    d = world.client(world.agent).get(f"/api/attachments/{r.json()['id']}/download")
    stored = b"".join(d.streaming_content)
    assert b"SecretCam" not in stored
    assert Image.open(io.BytesIO(stored)).size == (32, 32)


def test_html_and_svg_are_never_served_inline(world: World, case_id: int) -> None:
    r = upload(world, case_id, "page.html", b"<html><script>alert(1)</script></html>\n")
    assert r.status_code == 201
    d = world.client(world.a.dcs[0]).get(f"/api/attachments/{r.json()['id']}/download")
    assert d.headers["Content-Type"] == "application/octet-stream"
    assert d.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in d.headers["Content-Security-Policy"]
    b"".join(d.streaming_content)  # read to the end, which closes the file (close() would end the DB connection)


def test_file_names_are_metadata_not_paths(world: World, case_id: int) -> None:
    r = upload(world, case_id, "../../evil name<>.log", CLEAN_LOG)
    assert r.status_code == 201
    name = r.json()["filename"]
    assert "/" not in name and "<" not in name and ".." not in name.split("_")[0]
    row = Attachment.objects.get(pk=r.json()["id"])
    assert row.storage_name.startswith(f"attachments/{world.a.reseller.pk}/{case_id}/")


def test_another_tenant_cannot_download(world: World, case_id: int) -> None:
    r = upload(world, case_id, "a.log", CLEAN_LOG)
    d = world.client(world.b.dcs[0]).get(f"/api/attachments/{r.json()['id']}/download")
    assert d.status_code == 404


def test_staff_cannot_upload(world: World, case_id: int) -> None:
    assert upload(world, case_id, "a.log", CLEAN_LOG, user=world.a.staff).status_code == 403
