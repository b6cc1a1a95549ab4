"""Upload hardening (ASVS 5 V5 at level 3; OWASP API4/API8): what tests/api/test_attachments_api.py
does not already cover. Size refused before the file is read, tar and zip links and climbing
paths, gzip/zip/nesting/member-count bombs, type by content never by name, HTML/SVG/polyglots never
served inline, and every download route (API and portal, walked) answering as a download.
Each refusal stores nothing."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse

from caredesk.cases.models import Attachment
from tests.conftest import MULTIPART, World
from tests.security.pages import login, site_pages
from tests.security.routes import finish

pytestmark = pytest.mark.django_db

CLEAN = b"2026-11-02 08:30:01.120 INFO  TServer: link up, version 8.5.101.22, trunk 17\n"


def storage_root() -> Path:
    from django.core.files.storage import default_storage

    return Path(default_storage.location)  # type: ignore[attr-defined]


def stored_files() -> set[Path]:
    return {p for p in storage_root().rglob("*") if p.is_file()}


def upload(w: World, name: str, data: bytes, **form: Any) -> Any:
    case_id = w.a.extra_ids["case_id"]
    file = SimpleUploadedFile(name, data)
    return w.client(w.a.dcs[0]).post(f"/api/cases/{case_id}/attachments", {MULTIPART: {"file": file, **form}})


def refused(w: World, name: str, data: bytes, reason: str | set[str], **form: Any) -> dict[str, Any]:
    before_files, before_rows = stored_files(), Attachment.objects.count()
    r = upload(w, name, data, **form)
    assert r.status_code == 422, (name, r.status_code, r.content[:300])
    error: dict[str, Any] = r.json()["error"]
    reasons = {reason} if isinstance(reason, str) else reason
    assert error.get("reason") in reasons, error
    assert stored_files() == before_files and Attachment.objects.count() == before_rows, "a refused upload was kept"
    return error


def _tar(*members: tarfile.TarInfo, data: bytes = CLEAN) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for info in members:
            if info.isreg():
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


# --------------------------------------------------------------------------- size


def test_an_oversized_upload_is_refused_before_it_is_scanned(sworld: World, settings: Any) -> None:
    settings.CAREDESK_UPLOAD_MAX_BYTES = 4096
    refused(sworld, "big.log", CLEAN * 100, "too_large", redact="true")
    assert upload(sworld, "small.log", CLEAN).status_code == 201


def test_the_portal_upload_refuses_oversized_files_too(sworld: World, settings: Any) -> None:
    try:
        url = reverse("portal:attachment_upload", kwargs={"case_id": sworld.a.extra_ids["case_id"]})
    except NoReverseMatch:
        pytest.skip("the portal has no upload form yet")
    settings.CAREDESK_UPLOAD_MAX_BYTES = 4096
    before = Attachment.objects.count()
    r = login(sworld.a.dcs[0]).post(url, {"file": SimpleUploadedFile("big.log", CLEAN * 100)})
    assert r.status_code == 422 and Attachment.objects.count() == before


# --------------------------------------------------------------------------- archives


@pytest.mark.parametrize(
    ("label", "members", "reason"),
    [
        ("tar symlink", [_member("logs/passwd", tarfile.SYMTYPE, "/etc/passwd")], "symlink"),
        ("tar hard link", [_member("a.log"), _member("b.log", tarfile.LNKTYPE, "a.log")], "symlink"),
        ("tar climbing path", [_member("../../etc/cron.d/evil")], "path_traversal"),
        ("tar absolute path", [_member("/etc/cron.d/evil")], {"absolute_path", "path_traversal"}),
        ("tar device", [_member("dev/sda", tarfile.BLKTYPE)], "special_member"),
        ("tar fifo", [_member("pipe", tarfile.FIFOTYPE)], "special_member"),
    ],
)
def test_tar_links_paths_and_devices_are_refused(
    sworld: World, label: str, members: list[tarfile.TarInfo], reason: str | set[str]
) -> None:
    refused(sworld, "bundle.tar", _tar(*members), reason, redact="true")
    refused(sworld, "bundle.tgz", gzip.compress(_tar(*members)), reason, redact="true")


def test_a_zip_symlink_is_refused(sworld: World) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("logs/link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    refused(sworld, "x.zip", buf.getvalue(), "symlink", redact="true")


def test_windows_and_unc_paths_in_a_zip_are_refused(sworld: World) -> None:
    for name in ("C:\\Windows\\evil.log", "\\\\server\\share\\evil.log", "..\\..\\evil.log"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(name, CLEAN)
        refused(sworld, "x.zip", buf.getvalue(), {"absolute_path", "path_traversal"})


def test_a_gzip_bomb_is_refused(sworld: World) -> None:
    bomb = gzip.compress(b"0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    refused(sworld, "app.log.gz", bomb, {"compression_ratio", "too_large_uncompressed"}, redact="true")


def test_a_nested_archive_deeper_than_three_is_refused(sworld: World) -> None:
    data = CLEAN
    for _ in range(4):
        data = gzip.compress(data)
    refused(sworld, "deep.log.gz.gz.gz.gz", data, "too_deep")


def test_a_zip_with_too_many_members_is_refused(sworld: World) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(2_100):
            zf.writestr(f"m{i}.log", b"")
    refused(sworld, "many.zip", buf.getvalue(), "too_many_members")


def test_duplicate_and_encrypted_zip_members_are_refused(sworld: World) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.log", CLEAN)
        with pytest.warns(UserWarning):
            zf.writestr("a.log", b"2026-11-02 other\n")
    refused(sworld, "dup.zip", buf.getvalue(), "duplicate_member")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("secret.log", CLEAN)
    data = bytearray(buf.getvalue())
    # Set the "encrypted" flag bit in the local and the central header (zipfile cannot write it).
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0].flag_bits & 0x1
    refused(sworld, "enc.zip", bytes(data), {"encrypted", "corrupt"})


# --------------------------------------------------------------------------- type by content


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("tserver.log", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "binary"),
        ("notes.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "binary"),
        ("calls.log", b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + b"\x00" * 32, "binary"),
        ("setup.cfg", b"MZ\x90\x00\x03" + bytes(range(256)) * 4, "binary"),
        ("screen.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>", {"image_unreadable", "image_format"}),
    ],
)
def test_the_type_is_judged_by_content_not_by_name(
    sworld: World, name: str, data: bytes, reason: str | set[str]
) -> None:
    refused(sworld, name, data, reason, confirm_no_customer_data="true")


def test_an_archive_named_as_a_log_is_still_scanned_member_by_member(sworld: World) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("calls.log", b"2026-11-02 call from ANI +1 415 555 0132\n")
    r = upload(sworld, "innocent.log", buf.getvalue())
    assert r.status_code == 422 and r.json()["error"]["code"] == "customer_data_found"
    assert {f.get("member") for f in r.json()["error"]["findings"]} == {"calls.log"}


# --------------------------------------------------------------------------- serving


ACTIVE = {
    "page.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>\n',
    "page.html": b"<!doctype html><html><body><script>alert(1)</script></body></html>\n",
    "image.png": b"<html><body><img src=x onerror=alert(1)></body></html>\n",  # a .png that is HTML
    "page.xhtml": b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>a()</script></html>',
}


def _download_urls(w: World, attachment_id: int) -> list[str]:
    urls = [f"/api/attachments/{attachment_id}/download"]
    urls += [p.url({"attachment_id": attachment_id}) for p in site_pages() if "attachment_id" in p.route]
    return urls


@pytest.mark.parametrize("name", sorted(ACTIVE))
def test_active_content_is_stored_but_only_ever_served_as_a_download(sworld: World, name: str) -> None:
    r = upload(sworld, name, ACTIVE[name])
    assert r.status_code == 201, r.content
    attachment_id = r.json()["id"]
    browser = login(sworld.a.dcs[0])
    for url in _download_urls(sworld, attachment_id):
        d = sworld.client(sworld.a.dcs[0]).get(url) if url.startswith("/api/") else browser.get(url)
        assert d.status_code == 200, url
        body = b"".join(d.streaming_content)  # type: ignore[union-attr]
        assert body == ACTIVE[name]
        assert d.headers["Content-Type"] == "application/octet-stream", url
        assert d.headers["Content-Disposition"].startswith("attachment;"), url
        assert d.headers["X-Content-Type-Options"] == "nosniff"
        csp = d.headers["Content-Security-Policy"]
        assert "sandbox" in csp and "default-src 'none'" in csp


def test_the_download_name_cannot_break_the_header(sworld: World) -> None:
    r = upload(sworld, 'a";\r\nSet-Cookie: x=1;\u202e.log', CLEAN)
    assert r.status_code == 201
    d = sworld.client(sworld.a.dcs[0]).get(f"/api/attachments/{r.json()['id']}/download")
    finish(d)
    disposition = d.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and '";' not in disposition
    assert "Set-Cookie" not in d.headers


def test_stored_files_are_private_and_never_served_by_path(sworld: World) -> None:
    r = upload(sworld, "a.log", CLEAN)
    row = Attachment.objects.get(pk=r.json()["id"])
    path = storage_root() / row.storage_name
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, oct(os.stat(path).st_mode)
    assert "a.log" not in row.storage_name  # a random name, not the client's
    static_root = Path(settings.STATIC_ROOT).resolve()
    assert static_root not in path.resolve().parents
    browser = login(sworld.a.dcs[0])
    for prefix in ("/media/", "/static/", "/files/", "/"):
        assert browser.get(prefix + row.storage_name).status_code == 404


def test_a_download_of_another_tenants_file_is_not_found(sworld: World) -> None:
    theirs = sworld.b.extra_ids["attachment_id"]
    browser = login(sworld.a.dcs[0])
    for url in _download_urls(sworld, theirs):
        client_get = sworld.client(sworld.a.dcs[0]).get if url.startswith("/api/") else browser.get
        r = client_get(url)
        assert r.status_code == 404, url
