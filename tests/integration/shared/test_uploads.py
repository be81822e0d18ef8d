"""Uploaded pictures follow the transaction that names them: a replaced file goes when the change commits (not
before, not when it rolls back), a new file whose change rolls back goes then, a savepoint changes nothing."""
from services.shared import uploads

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _stored(tmp_path):
    return uploads.store_image(str(tmp_path), 1, "gifts", PNG, max_bytes=1024, noun="图片")


def test_is_the_replaced_file_removed_only_once_the_change_commits(db, tmp_path):
    old, new = _stored(tmp_path), _stored(tmp_path)
    db.session.begin()
    uploads.replace(db.session, str(tmp_path), old, new)
    with db.session.begin_nested():
        pass  # a savepoint released is not the commit
    assert (tmp_path / old).exists()
    db.session.commit()
    assert not (tmp_path / old).exists() and (tmp_path / new).exists()


def test_is_a_new_file_removed_when_its_change_rolls_back_and_the_old_one_kept(db, tmp_path):
    old, new = _stored(tmp_path), _stored(tmp_path)
    db.session.begin()
    uploads.replace(db.session, str(tmp_path), old, new)
    db.session.rollback()
    assert (tmp_path / old).exists() and not (tmp_path / new).exists()
    db.session.begin()
    db.session.commit()  # a later commit of the same session removes nothing more
    assert (tmp_path / old).exists()
