"""The app's settings file: defaults, round trip, damage tolerance, atomic writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from toexdesk import config
from toexdesk.core.enums import Marking


def test_missing_settings_give_defaults(app_data):
    settings = config.load_settings()
    assert settings.auto_lock_minutes == 10 and settings.clipboard_clear_seconds == 30
    assert settings.recent_workspaces == []


def test_settings_round_trip_and_recent_list_is_capped_and_deduplicated(app_data, tmp_path):
    settings = config.Settings()
    for i in range(12):
        settings.add_recent(tmp_path / f"w{i}.toex")
    settings.add_recent(tmp_path / "w5.toex")
    config.save_settings(settings)
    again = config.load_settings()
    assert len(again.recent_workspaces) == config.MAX_RECENT
    assert again.recent_workspaces[0].endswith("w5.toex")
    assert len(set(again.recent_workspaces)) == config.MAX_RECENT
    assert sorted(p.name for p in app_data.iterdir() if p.is_file()) == ["settings.json"]


def test_damaged_or_hostile_settings_fall_back_safely(app_data):
    config.settings_path().write_text("{not json", encoding="utf-8")
    assert config.load_settings() == config.Settings()
    hostile = {
        "auto_lock_minutes": 0,
        "clipboard_clear_seconds": "x",
        "recent_workspaces": ["/a.toex", 7],
        "passphrase": "never read",
    }
    config.settings_path().write_text(json.dumps(hostile), encoding="utf-8")
    settings = config.load_settings()
    assert settings.auto_lock_minutes == 1  # clamped: auto-lock can't be disabled to 0
    assert settings.clipboard_clear_seconds == 30
    assert settings.recent_workspaces == ["/a.toex"]
    assert not hasattr(settings, "passphrase")


def test_default_marking_and_analyst_name_round_trip(app_data):
    settings = config.Settings()
    assert settings.default_marking == Marking.OFFICIAL.value and settings.analyst_name == ""
    settings.default_marking = Marking.OFFICIAL_SENSITIVE.value
    settings.analyst_name = "Ann Example"
    config.save_settings(settings)
    again = config.load_settings()
    assert Marking(again.default_marking) is Marking.OFFICIAL_SENSITIVE
    assert again.analyst_name == "Ann Example"


def test_unknown_marking_and_odd_analyst_names_are_made_safe(app_data):
    hostile = {
        "default_marking": "ULTRA",
        "analyst_name": "  Ann\tExample\r\nDS 1234 \x00 ",
        "ui_state": {"geometry": "AAAA", "bad": 7},
    }
    config.settings_path().write_text(json.dumps(hostile), encoding="utf-8")
    settings = config.load_settings()
    assert settings.default_marking == Marking.OFFICIAL.value
    assert settings.analyst_name == "Ann Example DS 1234"
    assert settings.ui_state == {"geometry": "AAAA"}
    config.settings_path().write_text(
        json.dumps({"default_marking": 3, "analyst_name": ["x"]}), encoding="utf-8"
    )
    assert config.load_settings() == config.Settings()
    long = {"analyst_name": "x" * 1000}
    config.settings_path().write_text(json.dumps(long), encoding="utf-8")
    assert len(config.load_settings().analyst_name) == config.MAX_ANALYST_NAME


def test_default_analyst_falls_back_to_the_os_user(app_data, monkeypatch):
    monkeypatch.setattr(config.getpass, "getuser", lambda: "jdoe")
    assert config.default_analyst(config.Settings()) == "jdoe"
    assert config.default_analyst(config.Settings(analyst_name="DC Ann Example")) == (
        "DC Ann Example"
    )

    def no_user() -> str:
        raise OSError("no user name")

    monkeypatch.setattr(config.getpass, "getuser", no_user)
    assert config.default_analyst(config.Settings()) == ""


def test_portable_marker_beside_the_frozen_executable_moves_the_data(tmp_path, monkeypatch):
    exe = tmp_path / "TOEX Desk" / "toexdesk.exe"
    exe.parent.mkdir()
    exe.write_bytes(b"")
    monkeypatch.delenv("TOEX_DATA_DIR")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    user_dir = tmp_path / "user-data"
    monkeypatch.setattr(config.platformdirs, "user_data_dir", lambda *a, **k: str(user_dir))
    assert not config.is_portable()
    assert config.data_dir() == user_dir
    assert "portable mode is off" in config.storage_summary()

    (exe.parent / config.PORTABLE_MARKER).write_text("", encoding="utf-8")
    assert config.is_portable()
    assert config.data_dir() == exe.parent.resolve() / "toexdesk-data"
    assert config.settings_path().parent == exe.parent.resolve() / "toexdesk-data"
    assert "portable mode is on" in config.storage_summary()


def test_logging_rotates_in_the_data_folder_and_follows_it(app_data, tmp_path, monkeypatch):
    import logging
    import logging.handlers

    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        path = config.setup_logging()
        assert path.parent == config.log_dir() and path.parent.parent == app_data
        ours = [h for h in root.handlers if getattr(h, "_toex", False)]
        assert len(ours) == 1 and isinstance(ours[0], logging.handlers.RotatingFileHandler)
        assert ours[0].maxBytes > 0 and ours[0].backupCount > 0
        elsewhere = tmp_path / "elsewhere"
        monkeypatch.setenv("TOEX_DATA_DIR", str(elsewhere))
        moved = config.setup_logging()
        ours = [h for h in root.handlers if getattr(h, "_toex", False)]
        assert len(ours) == 1 and Path(ours[0].baseFilename) == moved.resolve()
        assert moved.parent.parent == elsewhere
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)


def test_logged_exceptions_keep_type_and_frames_but_not_messages(app_data, caplog):
    import logging

    # The traceback shows source lines: keep the secrets off the raising lines.
    person, row = "Wiśniewska 07700 900417", "SELECT ... 'secret row'"

    def inner():
        raise KeyError(person)

    try:
        try:
            inner()
        except KeyError as exc:
            raise RuntimeError(row) from exc
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR):
            config.log_exception(logging.getLogger("t"), "boom", exc)
    text = caplog.text
    assert "RuntimeError" in text and "caused by KeyError" in text and "inner" in text
    assert "Wiśniewska" not in text and "secret row" not in text
