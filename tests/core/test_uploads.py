"""core.uploads: the type of an upload is decided by its bytes, from an allow-list; names are random."""

import io

import pytest

from core.exceptions import ApplicationError
from core.uploads import DOCUMENT_TYPES, display_name, file_type_check, storage_name
from tests.upload_samples import ALLOWED_DOCUMENTS, REFUSED_FILES, zip_bomb


def check(name, content, declared="application/octet-stream", allowed=DOCUMENT_TYPES, max_bytes=10_000_000):
    return file_type_check(io.BytesIO(content), name=name, size=len(content), max_bytes=max_bytes,
                           allowed=allowed, declared_type=declared)


@pytest.mark.parametrize("name", sorted(ALLOWED_DOCUMENTS))
def test_each_allowed_type_is_recognised_by_its_content(name):
    content, content_type = ALLOWED_DOCUMENTS[name]
    assert check(name, content).content_type == content_type
    # The content decides, not the name: the same bytes without an extension are still recognised.
    assert check("upload", content).content_type == content_type


@pytest.mark.parametrize("case", sorted(REFUSED_FILES))
def test_disguised_or_unlisted_files_are_refused(case):
    name, content, declared = REFUSED_FILES[case]
    with pytest.raises(ApplicationError) as refused:
        check(name, content, declared)
    assert refused.value.code == "unsupported_file_type" and "file" in refused.value.fields


def test_zip_bomb_shaped_like_a_docx_is_refused_without_unpacking_it():
    bomb = zip_bomb(64)
    assert len(bomb) < 1_000_000  # 64 MB of zeros in well under a megabyte
    with pytest.raises(ApplicationError) as refused:
        check("policy.docx", bomb)
    assert refused.value.code == "unsupported_file_type" and "ZIP bomb" in refused.value.message


def test_a_type_outside_the_callers_allow_list_is_refused():
    content, _ = ALLOWED_DOCUMENTS["policy.docx"]
    with pytest.raises(ApplicationError):
        check("policy.docx", content, allowed={"pdf"})


def test_size_and_emptiness_are_checked_first():
    with pytest.raises(ApplicationError) as too_big:
        check("manual.pdf", ALLOWED_DOCUMENTS["manual.pdf"][0], max_bytes=10)
    assert too_big.value.status_code == 413 and too_big.value.code == "file_too_large"
    with pytest.raises(ApplicationError) as empty:
        check("manual.pdf", b"")
    assert empty.value.code == "empty_file"


def test_stored_names_are_random_and_display_names_carry_no_folders():
    pdf = check("manual.pdf", ALLOWED_DOCUMENTS["manual.pdf"][0])
    first, second = storage_name(pdf), storage_name(pdf)
    assert first != second and first.endswith(".pdf") and len(first) == 36
    assert display_name("../../etc/Policy Manual.PDF", pdf) == "Policy Manual.PDF"
    assert display_name("C:\\Users\\chief\\manual", pdf) == "manual.pdf"


def test_archives_with_too_many_entries_are_refused(monkeypatch):
    import core.uploads

    monkeypatch.setattr(core.uploads, "ZIP_MAX_ENTRIES", 1)
    with pytest.raises(ApplicationError) as refused:
        check("policy.docx", ALLOWED_DOCUMENTS["policy.docx"][0])
    assert "entries" in refused.value.message


def test_a_small_document_that_compresses_well_is_not_taken_for_a_bomb():
    bomb_shaped = zip_bomb(2)  # 2 MB of zeros: a ratio far above 200, but a size no reader chokes on
    assert check("policy.docx", bomb_shaped).key == "docx"
