"""The app's settings file: defaults, round trip, damage tolerance, atomic writes."""

from __future__ import annotations

import json

from toexdesk import config


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
