"""The file transmission: files another OS user can read, and no server path shown to users."""

import stat

from backoffice.erp.transports import FileTransport, Outcome


def test_exported_files_are_readable_by_the_importer(tmp_path):
    delivery = FileTransport(tmp_path).send(
        idempotency_key="k", body=b"{}", document_name="order-00001-2026-r1"
    )
    assert delivery.outcome == Outcome.DELIVERED
    written = tmp_path / "order-00001-2026-r1.json"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644


def test_the_file_mode_is_a_setting(tmp_path):
    FileTransport(tmp_path, file_mode=0o640).send(
        idempotency_key="k", body=b"{}", document_name="doc"
    )
    assert stat.S_IMODE((tmp_path / "doc.json").stat().st_mode) == 0o640


def test_messages_name_the_file_never_the_servers_folders(tmp_path):
    delivered = FileTransport(tmp_path).send(idempotency_key="k", body=b"{}", document_name="doc")
    assert "doc.json" in delivered.message and str(tmp_path) not in delivered.message
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    failed = FileTransport(blocked).send(idempotency_key="k", body=b"{}", document_name="doc")
    assert failed.outcome == Outcome.ERROR
    assert str(tmp_path) not in failed.message
