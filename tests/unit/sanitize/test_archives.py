"""DOMAIN.md "Intake": every uploaded log is scanned before it is stored (also inside .zip/.gz,
with limits against bombs); a file with findings is refused with them unless the DC asks for
redaction; raw bytes with findings are never kept.
"""

from __future__ import annotations

import codecs
import dataclasses
import gzip
import io
import stat
import tarfile
import warnings
import zipfile

import pytest

from caredesk.domain.errors import CustomerDataFound, UploadRefused, ValidationFailed
from caredesk.domain.sanitize import (
    Limits,
    Pattern,
    SafeUpload,
    ScanResult,
    UploadSummary,
    clean_bytes_or_raise,
    redact_upload,
    scan_upload,
)

LOG = b"2026-11-27 23:10:28.123 INFO ANI=4155550123 from 10.1.2.3\r\nnothing here\r\nmail jane@example.com\r\n"
REDACTED_LOG = (
    b"2026-11-27 23:10:28.123 INFO ANI=[REDACTED:phone] from [REDACTED:ipv4]\r\nnothing here\r\n"
    b"mail [REDACTED:email]\r\n"
)
CLEAN = b"2026-11-27 23:10:28.123 INFO started in 4155 ms, version 8.1.103.55\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def make_zip(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED, comment: bytes = b"") -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are written on purpose in one test
        with zipfile.ZipFile(buf, "w", method) as archive:
            archive.comment = comment
            for name, body in members.items():
                archive.writestr(name, body)
    return buf.getvalue()


def make_tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:") as archive:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def refused(data: bytes, name: str = "upload.zip", limits: Limits = Limits()) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        scan_upload(name, data, limits=limits)
    return caught.value


# -- plain text ---------------------------------------------------------------------------------


def test_a_log_with_customer_data_is_reported_with_type_and_line() -> None:
    result = scan_upload("tserver.log", LOG)
    assert result.kind == "text" and not result.ok
    assert [(f.type, f.line, f.member) for f in result.findings] == [
        ("phone", 1, None),
        ("ipv4", 1, None),
        ("email", 3, None),
    ]
    assert dict(result.counts) == {"email": 1, "ipv4": 1, "phone": 1}
    assert result.members[0].format == "UTF-8 text"


def test_a_clean_log_is_ok_and_kept_byte_for_byte() -> None:
    assert scan_upload("app.log", CLEAN).ok
    safe = clean_bytes_or_raise("app.log", CLEAN)
    assert safe.data == CLEAN and safe.kind == "text" and not safe.redacted


def test_findings_refuse_the_upload_and_say_what_and_where_without_the_values() -> None:
    with pytest.raises(CustomerDataFound) as caught:
        clean_bytes_or_raise("tserver.log", LOG)
    error = caught.value
    assert [(f["type"], f["line"]) for f in error.findings] == [("phone", 1), ("ipv4", 1), ("email", 3)]
    assert "4155550123" not in repr(error.findings) + str(error)
    assert "jane@example.com" not in repr(error.findings) + str(error)
    assert "1 email, 1 ipv4, 1 phone" in str(error)


def test_redaction_keeps_line_breaks_and_says_what_was_redacted() -> None:
    safe = redact_upload("tserver.log", LOG)
    assert safe.data == REDACTED_LOG
    assert safe.redacted
    assert safe.summary.counts == {"email": 1, "ipv4": 1, "phone": 1}
    assert safe.summary.describe() == ["1 email, 1 ipv4, 1 phone (lines 1, 3)"]
    assert scan_upload("tserver.log", safe.data).ok


def test_redacting_a_clean_file_changes_nothing() -> None:
    safe = redact_upload("app.log", CLEAN)
    assert safe.data == CLEAN and not safe.redacted and safe.summary == UploadSummary()


@pytest.mark.parametrize(
    ("encoded", "codec", "bom"),
    [
        ("Café: ANI=4155550123\r\n".encode("latin-1"), "latin-1", b""),
        (codecs.BOM_UTF8 + "Café: ANI=4155550123\n".encode(), "utf-8", codecs.BOM_UTF8),
        (codecs.BOM_UTF16_LE + "Café: ANI=4155550123\r\n".encode("utf-16-le"), "utf-16-le", codecs.BOM_UTF16_LE),
        (codecs.BOM_UTF16_BE + "Café: ANI=4155550123\n".encode("utf-16-be"), "utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_text_encodings_and_byte_order_marks_survive_redaction(encoded: bytes, codec: str, bom: bytes) -> None:
    safe = redact_upload("x.log", encoded)
    assert safe.data.startswith(bom)
    text = safe.data[len(bom) :].decode(codec)
    assert text.startswith("Café: ANI=[REDACTED:phone]")
    assert text.endswith("\r\n") == encoded[len(bom) :].decode(codec).endswith("\r\n")


def test_config_files_are_text_whatever_their_extension() -> None:
    config = b"[trunk]\nhost=198.51.100.23\nfromuser=4155550100\n"
    for name in ("sip.conf", "options.ini", "app.properties", "noext", "picture.png"):
        result = scan_upload(name, config)
        assert result.kind == "text" and dict(result.counts) == {"ipv4": 1, "phone": 1}


@pytest.mark.parametrize(
    "markup",
    [
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
        b"<div><iframe src=x></iframe></div>",
    ],
)
def test_html_and_svg_are_scanned_as_text_but_never_to_be_served_inline(markup: bytes) -> None:
    result = scan_upload("page.txt", markup)
    assert result.kind == "text" and result.inline_dangerous and result.ok
    assert clean_bytes_or_raise("page.txt", markup).inline_dangerous


def test_plain_logs_are_not_inline_dangerous() -> None:
    assert not scan_upload("a.xml", b'<?xml version="1.0"?><config><port>5060</port></config>').inline_dangerous


# -- names --------------------------------------------------------------------------------------


def test_a_file_name_holding_customer_data_is_a_finding_and_is_redacted() -> None:
    result = scan_upload("call_4155550123.log", CLEAN)
    assert [(f.type, f.location) for f in result.findings] == [("phone", "name")]
    assert result.filename == "call_[REDACTED:phone].log"
    safe = redact_upload("call_4155550123.log", CLEAN)
    assert safe.filename == "call_[REDACTED:phone].log" and safe.data == CLEAN
    with pytest.raises(CustomerDataFound):
        clean_bytes_or_raise("call_4155550123.log", CLEAN)


# -- images and binaries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [PNG, b"\xff\xd8\xff\xe0" + b"\x00" * 16, b"GIF89a" + b"\x00" * 16, b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8],
)
def test_images_need_metadata_stripping_and_the_dcs_confirmation(image: bytes) -> None:
    result = scan_upload("screen.log", image)  # the content decides, not the name
    assert result.kind == "image" and result.needs_confirmation and result.ok
    safe = clean_bytes_or_raise("screen.log", image)
    assert safe.kind == "image" and safe.needs_confirmation


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "ELF executable"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "Windows executable"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\n", "PDF"),
        (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + b"\x00" * 16, "packet capture"),
        (bytes(range(256)) * 4, "binary"),
        (b"BZh91AY&SY", "bzip2"),
    ],
)
def test_other_binaries_are_refused(data: bytes, words: str) -> None:
    error = refused(data, "logs.txt")
    assert error.reason == "binary" and words in str(error)


def test_an_upload_over_the_size_limit_is_refused() -> None:
    assert refused(LOG, "a.log", Limits(max_upload_bytes=10)).reason == "too_large"


# -- gzip ---------------------------------------------------------------------------------------


def test_gz_is_scanned_and_redacted_inside() -> None:
    data = gzip.compress(LOG)
    result = scan_upload("tserver.log.gz", data)
    assert result.kind == "archive"
    assert {(f.member, f.type) for f in result.findings} == {
        ("tserver.log", "phone"),
        ("tserver.log", "ipv4"),
        ("tserver.log", "email"),
    }
    safe = redact_upload("tserver.log.gz", data)
    assert gzip.decompress(safe.data) == REDACTED_LOG
    assert redact_upload("clean.log.gz", gzip.compress(CLEAN)).data == gzip.compress(CLEAN)


def test_gz_file_name_in_the_header_is_scanned_and_redacted() -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="call_4155550123.log", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(CLEAN)
    result = scan_upload("x.gz", buf.getvalue())
    assert [(f.member, f.location) for f in result.findings] == [("call_[REDACTED:phone].log", "name")]
    safe = redact_upload("x.gz", buf.getvalue())
    assert b"4155550123" not in safe.data and gzip.decompress(safe.data) == CLEAN


def test_multi_member_gz_is_read_to_the_end() -> None:
    data = gzip.compress(CLEAN) + gzip.compress(b"ANI=4155550123\n")
    assert dict(scan_upload("x.gz", data).counts) == {"phone": 1}


def test_damaged_gz_is_refused() -> None:
    assert refused(gzip.compress(LOG)[:-12], "x.gz").reason == "corrupt"
    assert refused(b"\x1f\x8b\x08\x00garbage-garbage-garbage", "x.gz").reason == "corrupt"


def test_gz_bomb_is_stopped_by_its_compression_ratio() -> None:
    bomb = gzip.compress(b"\x00" * (3 * 1024 * 1024))
    error = refused(bomb, "x.gz")
    assert error.reason == "compression_ratio"


# -- zip ----------------------------------------------------------------------------------------


def test_every_zip_member_is_scanned_and_only_members_with_findings_are_rewritten() -> None:
    data = make_zip({"logs/tserver.log": LOG, "logs/app.log": CLEAN, "calls/4155550199.txt": b"hi\n"})
    result = scan_upload("bundle.zip", data)
    assert {(f.member, f.type, f.location) for f in result.findings} == {
        ("logs/tserver.log", "phone", "content"),
        ("logs/tserver.log", "ipv4", "content"),
        ("logs/tserver.log", "email", "content"),
        ("calls/[REDACTED:phone].txt", "phone", "name"),
    }
    safe = redact_upload("bundle.zip", data)
    rebuilt = zipfile.ZipFile(io.BytesIO(safe.data))
    assert rebuilt.namelist() == ["logs/tserver.log", "logs/app.log", "calls/[REDACTED:phone].txt"]
    assert rebuilt.read("logs/tserver.log") == REDACTED_LOG
    assert rebuilt.read("logs/app.log") == CLEAN
    assert scan_upload("bundle.zip", safe.data).ok
    assert safe.summary.describe() == [
        "logs/tserver.log: 1 email, 1 ipv4, 1 phone (lines 1, 3)",
        "calls/[REDACTED:phone].txt (name): 1 phone (line 1)",
    ]


def test_a_clean_zip_is_returned_as_it_came() -> None:
    data = make_zip({"a.log": CLEAN, "b/": b""})
    assert redact_upload("x.zip", data).data == data
    assert clean_bytes_or_raise("x.zip", data).data == data


def test_zip_comments_are_scanned_and_redacted() -> None:
    data = make_zip({"a.log": CLEAN}, comment=b"exported by jane@example.com")
    result = scan_upload("x.zip", data)
    assert [(f.type, f.location) for f in result.findings] == [("email", "comment")]
    safe = redact_upload("x.zip", data)
    assert zipfile.ZipFile(io.BytesIO(safe.data)).comment == b"exported by [REDACTED:email]"


def test_stored_and_nested_archives_are_scanned_all_the_way_down() -> None:
    inner_tgz = gzip.compress(make_tar({"x/urs.log": b"caller: +44 20 7946 0123\n"}))
    data = make_zip({"logs/bundle.tgz": inner_tgz, "plain.log": CLEAN}, method=zipfile.ZIP_STORED)
    result = scan_upload("all.zip", data)
    assert [(f.member, f.type) for f in result.findings] == [("logs/bundle.tgz!/bundle.tar!/x/urs.log", "phone")]
    safe = redact_upload("all.zip", data)
    tgz = zipfile.ZipFile(io.BytesIO(safe.data)).read("logs/bundle.tgz")
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(tgz))) as tar:
        member = tar.extractfile("x/urs.log")
        assert member is not None and member.read() == b"caller: [REDACTED:phone]\n"


def test_zip_bomb_is_stopped_by_its_compression_ratio() -> None:
    error = refused(make_zip({"zeros.log": b"0" * (3 * 1024 * 1024)}))
    assert error.reason == "compression_ratio" and error.member == "zeros.log"


def test_small_files_are_not_judged_by_ratio() -> None:
    assert scan_upload("x.zip", make_zip({"spaces.log": b" " * 100_000})).ok


def test_total_uncompressed_size_is_bounded_across_members() -> None:
    data = make_zip({f"{i}.log": CLEAN * 10 for i in range(5)})
    assert refused(data, limits=Limits(max_total_uncompressed=2000)).reason == "too_large_uncompressed"


def test_member_count_is_bounded() -> None:
    data = make_zip({f"{i}.log": CLEAN for i in range(4)})
    assert refused(data, limits=Limits(max_members=3)).reason == "too_many_members"
    assert scan_upload("x.zip", data, limits=Limits(max_members=4)).ok


def test_nesting_depth_is_bounded() -> None:
    data = CLEAN
    for level in range(3):
        data = make_zip({f"level{level}.zip" if level else "a.log": data})
    assert scan_upload("x.zip", data, limits=Limits(max_depth=3)).ok
    error = refused(data, limits=Limits(max_depth=2))
    assert error.reason == "too_deep" and error.member == "level2.zip!/level1.zip"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.log", "path_traversal"),
        ("logs/../../evil.log", "path_traversal"),
        ("..\\evil.log", "path_traversal"),
        ("/etc/passwd", "absolute_path"),
        ("C:\\Windows\\evil.log", "absolute_path"),
        ("\\\\server\\share\\x.log", "absolute_path"),
    ],
)
def test_member_paths_that_escape_the_archive_are_refused(name: str, reason: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name), CLEAN)  # ZipInfo keeps the name as written
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist() == [name]
    assert refused(buf.getvalue()).reason == reason


def test_symlink_members_are_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        info = zipfile.ZipInfo("link.log")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    error = refused(buf.getvalue())
    assert error.reason == "symlink" and error.member == "link.log"


def test_duplicate_member_names_are_refused() -> None:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buf, "w") as archive:
            archive.writestr("a.log", CLEAN)
            archive.writestr("a.log", LOG)
    assert refused(buf.getvalue()).reason == "duplicate_member"


def test_encrypted_members_are_refused() -> None:
    data = bytearray(make_zip({"a.log": CLEAN}))
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x01  # general purpose flag bit 0: encrypted
    assert refused(bytes(data)).reason == "encrypted"


def test_images_inside_archives_are_refused() -> None:
    error = refused(make_zip({"shots/screen.png": PNG}))
    assert error.reason == "image_in_archive" and error.member == "shots/screen.png"


def test_binaries_inside_archives_are_refused_naming_the_member() -> None:
    error = refused(make_zip({"cap/sip.pcap": b"\xd4\xc3\xb2\xa1" + b"\x00" * 40}))
    assert error.reason == "binary" and error.member == "cap/sip.pcap"


def test_a_damaged_zip_is_refused() -> None:
    assert refused(make_zip({"a.log": LOG})[:-30]).reason == "corrupt"


# -- tar ----------------------------------------------------------------------------------------


def test_tar_members_are_scanned_and_redacted() -> None:
    data = make_tar({"logs/a.log": LOG, "logs/b.log": CLEAN})
    assert [f.member for f in scan_upload("x.tar", data).findings] == ["logs/a.log"] * 3
    with tarfile.open(fileobj=io.BytesIO(redact_upload("x.tar", data).data)) as tar:
        first, second = tar.extractfile("logs/a.log"), tar.extractfile("logs/b.log")
        assert first is not None and first.read() == REDACTED_LOG
        assert second is not None and second.read() == CLEAN


@pytest.mark.parametrize(
    ("kind", "reason"),
    [(tarfile.SYMTYPE, "symlink"), (tarfile.LNKTYPE, "symlink"), (tarfile.FIFOTYPE, "special_member")],
)
def test_tar_links_and_special_files_are_refused(kind: bytes, reason: str) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:") as archive:
        info = tarfile.TarInfo("x.log")
        info.type = kind
        info.linkname = "/etc/passwd"
        archive.addfile(info)
    assert refused(buf.getvalue(), "x.tar").reason == reason


def test_tar_path_traversal_is_refused() -> None:
    assert refused(make_tar({"../../etc/cron.d/x": CLEAN}), "x.tar").reason == "path_traversal"


# -- the types ----------------------------------------------------------------------------------


def test_a_scan_result_holds_no_bytes() -> None:
    result = scan_upload("tserver.log", LOG)
    assert all(not isinstance(getattr(result, f.name), bytes) for f in dataclasses.fields(ScanResult))
    assert "4155550123" not in repr(result) and "4155550123" not in str(result.as_dict())


def test_safe_uploads_are_made_only_by_the_sanitizer() -> None:
    with pytest.raises(TypeError):
        SafeUpload("x.log", LOG, "text", False, False, UploadSummary(), object())


def test_reported_findings_are_capped_but_counted() -> None:
    many = b"".join(b"ANI=41555501%02d\n" % i for i in range(20))
    result = scan_upload("x.log", many, limits=Limits(max_findings=5))
    assert len(result.findings) == 5 and result.truncated and result.total == 20
    assert redact_upload("x.log", many, limits=Limits(max_findings=5)).summary.total == 20


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Limits(max_members=0, max_ratio=-1)
    assert set(caught.value.errors) == {"limits.max_members", "limits.max_ratio"}


def test_configured_patterns_and_regions_reach_the_scan() -> None:
    data = b"account ACC-00482913 called from 020 7946 0123\n"
    assert scan_upload("x.log", data).ok
    result = scan_upload("x.log", data, patterns=[Pattern("account_number", r"ACC-\d{8}")], regions=("GB",))
    assert dict(result.counts) == {"account_number": 1, "phone": 1}


def test_a_zip_declaring_too_many_entries_is_refused_before_they_are_read() -> None:
    data = bytearray(make_zip({"a.log": CLEAN}))
    eocd = data.rfind(b"PK\x05\x06")
    data[eocd + 8 : eocd + 12] = (60000).to_bytes(2, "little") * 2  # entries on disk, total
    error = refused(bytes(data))
    assert error.reason == "too_many_members"


def test_a_gz_header_comment_is_scanned_and_dropped_when_redacted() -> None:
    data = bytearray(gzip.compress(CLEAN, mtime=0))
    data[3] |= 0x10  # FCOMMENT follows the fixed 10-byte header
    data[10:10] = b"sent by jane@example.com\x00"
    result = scan_upload("x.log.gz", bytes(data))
    assert [(f.type, f.location, f.member) for f in result.findings] == [("email", "comment", "x.log")]
    safe = redact_upload("x.log.gz", bytes(data))
    assert b"jane" not in safe.data and gzip.decompress(safe.data) == CLEAN


def test_tar_extended_headers_are_scanned() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("a.log")
        info.size = len(CLEAN)
        info.pax_headers = {"comment": "from jane@example.com"}
        archive.addfile(info, io.BytesIO(CLEAN))
    assert [(f.type, f.location) for f in scan_upload("x.tar", buf.getvalue()).findings] == [("email", "comment")]
    assert b"jane" not in redact_upload("x.tar", buf.getvalue()).data
