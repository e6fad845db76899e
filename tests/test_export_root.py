"""An export folder or a .zip of one: finding result.json, path safety, zip-bomb limits, media hashing."""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import zipfile
from pathlib import Path

import pytest

from echoscope.errors import ParseError, SourceUnavailable, UnsafePath
from echoscope.sources._export_root import ArchiveLimits, open_export

RESULT = b'{"name": "x", "type": "public_channel", "id": 1, "messages": []}'
PHOTO = b"\xff\xd8\xff\xe0 photo bytes"

UNSAFE_PATHS = {
    "../outside.jpg": "'..'",
    "photos/../../../etc/passwd": "'..'",
    "/etc/passwd": "absolute",
    "\\\\server\\share\\x.jpg": "absolute",
    "C:\\Windows\\win.ini": "drive letter",
    "c:/x.jpg": "drive letter",
    "photos\\..\\..\\x.jpg": "'..'",
    "photos/photo\x00.jpg": "NUL",
    "photos\u2215..\u2215..\u2215x.jpg": "look-alike",  # DIVISION SLASH
    "photos\uff0f..\uff0fx.jpg": "look-alike",  # FULLWIDTH SOLIDUS
    "photos\u2044x.jpg": "look-alike",  # FRACTION SLASH
    "photos\uff3c..\uff3cx.jpg": "look-alike",  # FULLWIDTH REVERSE SOLIDUS
    "\uff0e\uff0e/x.jpg": "normalise",  # FULLWIDTH FULL STOPs fold to '..'
    "": "empty",
}


def write_files(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def write_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    return write_files(tmp_path / "export", {"result.json": RESULT, "photos/photo_1.jpg": PHOTO})


def test_a_folder_export_finds_result_json_and_hashes_it(folder):
    with open_export(folder) as root:
        assert root.locator == str(folder)
        assert root.sha256() == hashlib.sha256(RESULT).hexdigest()
        with root.open_result() as stream:
            assert stream.read() == RESULT


def test_result_json_may_sit_in_a_single_top_level_folder(tmp_path):
    write_files(tmp_path / "download" / "ChatExport_2024-07-09", {"result.json": RESULT, "photos/photo_1.jpg": PHOTO})
    with open_export(tmp_path / "download") as root:
        assert root.result_name.endswith(os.path.join("ChatExport_2024-07-09", "result.json"))
        assert root.media("photos/photo_1.jpg").status == "stored"


def test_a_folder_with_several_exports_or_none_is_refused(tmp_path):
    write_files(tmp_path / "two", {"a/result.json": RESULT, "b/result.json": RESULT})
    with pytest.raises(SourceUnavailable, match="2 exports"):
        open_export(tmp_path / "two")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceUnavailable, match="no result.json"):
        open_export(tmp_path / "empty")


def test_a_missing_path_is_unavailable(tmp_path):
    with pytest.raises(SourceUnavailable, match="nothing-here"):
        open_export(tmp_path / "nothing-here")


def test_result_json_given_directly_makes_its_folder_the_root(folder):
    with open_export(folder / "result.json") as root:
        assert root.media("photos/photo_1.jpg").status == "stored"


def test_a_stored_file_has_the_hash_and_size_of_its_bytes(folder):
    with open_export(folder) as root:
        check = root.media("photos/photo_1.jpg")
    assert (check.status, check.sha256, check.size) == ("stored", hashlib.sha256(PHOTO).hexdigest(), len(PHOTO))


def test_a_referenced_file_that_is_not_there_is_missing(folder):
    with open_export(folder) as root:
        assert root.media("photos/photo_2.jpg").status == "missing"
        assert root.media("photos/photo_1.jpg/x").status == "missing"


@pytest.mark.parametrize("path, reason", list(UNSAFE_PATHS.items()))
def test_unsafe_media_paths_are_refused_with_the_reason(folder, path, reason):
    with open_export(folder) as root:
        check = root.media(path)
    assert check.status == "refused"
    assert reason in check.note


def test_backslashes_are_separators_inside_the_export(folder):
    with open_export(folder) as root:
        assert root.media("photos\\photo_1.jpg").status == "stored"


def test_symlinks_may_not_lead_outside_the_export(tmp_path, folder):
    secret = write_files(tmp_path / "secret", {"passwd": b"root:x:0:0"})
    (folder / "photos" / "link.jpg").symlink_to(secret / "passwd")
    (folder / "linked_folder").symlink_to(secret)
    (folder / "photos" / "inside.jpg").symlink_to(folder / "photos" / "photo_1.jpg")
    with open_export(folder) as root:
        assert root.media("photos/link.jpg").status == "refused"
        assert root.media("linked_folder/passwd").status == "refused"
        assert root.media("photos/inside.jpg").sha256 == hashlib.sha256(PHOTO).hexdigest()


def test_a_result_json_symlinked_out_of_the_folder_is_refused(tmp_path):
    outside = write_files(tmp_path / "elsewhere", {"result.json": RESULT})
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "result.json").symlink_to(outside / "result.json")
    with pytest.raises(UnsafePath, match="outside"):
        open_export(tmp_path / "export")


def test_a_fifo_is_refused_without_blocking(folder):
    os.mkfifo(folder / "photos" / "pipe.jpg")
    found = {}
    with open_export(folder) as root:
        worker = threading.Thread(target=lambda: found.update(check=root.media("photos/pipe.jpg")), daemon=True)
        worker.start()
        worker.join(timeout=5)
    assert found["check"].status == "refused"
    assert "regular file" in found["check"].note


def test_media_hashes_are_computed_once_per_file_in_a_run(folder):
    with open_export(folder) as root:
        first = root.media("photos/photo_1.jpg")
        (folder / "photos" / "photo_1.jpg").write_bytes(b"changed")
        assert root.media("./photos//photo_1.jpg") == first


# --- zip exports ----------------------------------------------------------------------------------


def test_a_zip_export_is_read_in_place(tmp_path):
    path = write_zip(tmp_path / "export.zip", {"ChatExport/result.json": RESULT, "ChatExport/photos/p.jpg": PHOTO})
    with open_export(path) as root:
        assert root.sha256() == hashlib.sha256(path.read_bytes()).hexdigest()
        assert root.result_name == f"{path}!ChatExport/result.json"
        with root.open_result() as stream:
            assert stream.read() == RESULT
        stored = root.media("photos/p.jpg")
        assert (stored.status, stored.sha256, stored.size) == ("stored", hashlib.sha256(PHOTO).hexdigest(), len(PHOTO))
        assert root.media("photos/other.jpg").status == "missing"
        assert root.media("../ChatExport/photos/p.jpg").status == "refused"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]  # nothing extracted


def test_zip_limits_are_checked_before_reading(tmp_path):
    path = write_zip(tmp_path / "export.zip", {"result.json": RESULT, "photos/a.jpg": PHOTO, "photos/b.jpg": PHOTO})
    with pytest.raises(UnsafePath, match=r"export\.zip.*max_entries"):
        open_export(path, ArchiveLimits(max_entries=2))
    with pytest.raises(UnsafePath, match=r"export\.zip.*max_total_size"):
        open_export(path, ArchiveLimits(max_total_size=50))


def test_a_member_that_expands_too_much_is_a_zip_bomb(tmp_path):
    path = write_zip(tmp_path / "bomb.zip", {"result.json": RESULT, "photos/zeros.jpg": bytes(4 << 20)})
    with pytest.raises(UnsafePath, match=r"bomb\.zip.*zeros\.jpg.*max_ratio"):
        open_export(path)
    with open_export(path, ArchiveLimits(max_ratio=10_000)) as root:
        assert root.media("photos/zeros.jpg").size == 4 << 20


def test_overlapping_members_are_refused(tmp_path):
    path = write_zip(tmp_path / "overlap.zip", {"result.json": RESULT, "photos/a.jpg": PHOTO * 50})
    data = bytearray(path.read_bytes())
    second_entry = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, second_entry + 42, 0)  # its local header offset now points at the first
    path.write_bytes(bytes(data))
    with pytest.raises(UnsafePath, match="overlap"):
        open_export(path)


@pytest.mark.parametrize("member", ["../evil.sh", "/etc/cron.d/evil", "ChatExport/../../evil", "C:\\evil.bat"])
def test_members_with_unsafe_names_are_refused(tmp_path, member):
    path = write_zip(tmp_path / "export.zip", {"result.json": RESULT, member: b"x"})
    with pytest.raises(UnsafePath, match="member"):
        open_export(path)


def test_duplicate_member_names_are_refused(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("result.json", RESULT)
        archive.writestr("result.json", b"{}")
    with pytest.raises(UnsafePath, match="two members"):
        open_export(path)


def test_a_nested_zip_is_not_opened_as_an_export(tmp_path):
    inner = write_zip(tmp_path / "inner.zip", {"result.json": RESULT})
    outer = write_zip(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()})
    with pytest.raises(UnsafePath, match="nested"):
        open_export(outer)


def test_a_zip_without_result_json_is_unavailable(tmp_path):
    path = write_zip(tmp_path / "export.zip", {"photos/a.jpg": PHOTO})
    with pytest.raises(SourceUnavailable, match="no result.json"):
        open_export(path)


def _shrink_declared_size(path: Path, member: bytes, size: int) -> None:
    """Make the central directory and local header of `member` declare `size` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    while data[local + 30 : local + 30 + len(member)] != member:
        local = data.find(b"PK\x03\x04", local + 4)
    struct.pack_into("<I", data, local + 22, size)
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(member)] != member:
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))


def test_a_header_that_lies_about_the_size_is_caught_while_streaming(tmp_path):
    path = write_zip(tmp_path / "export.zip", {"result.json": RESULT, "photos/a.jpg": PHOTO * 100})
    _shrink_declared_size(path, b"result.json", 10)
    _shrink_declared_size(path, b"photos/a.jpg", 10)
    with open_export(path) as root:
        with pytest.raises(ParseError, match=r"export\.zip!result\.json"), root.open_result() as stream:
            stream.read()
        assert root.media("photos/a.jpg").status == "unavailable"


def test_a_symlink_member_is_refused(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("result.json", RESULT)
        link = zipfile.ZipInfo("photos/link.jpg")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
    with open_export(path) as root:
        assert root.media("photos/link.jpg").status == "refused"
