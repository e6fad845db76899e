"""Where the store is: built-in default < echoscope.toml < ECHOSCOPE_DB < --db."""

from __future__ import annotations

import os
import subprocess
import sys


def _stats(cwd, *args, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ECHOSCOPE_")} | (env or {})
    return subprocess.run([sys.executable, "-m", "echoscope", "stats", *args], capture_output=True, text=True,
                          cwd=cwd, env=environment | {"COLUMNS": "200"})


def test_the_default_store_is_echoscope_db_in_the_working_folder(tmp_path):
    assert _stats(tmp_path).returncode == 0
    assert (tmp_path / "echoscope.db").exists()


def test_the_config_file_then_the_environment_then_the_flag_decide(tmp_path):
    (tmp_path / "echoscope.toml").write_text('db = "from-file.db"\n', encoding="utf-8")
    _stats(tmp_path)
    assert (tmp_path / "from-file.db").exists()
    _stats(tmp_path, env={"ECHOSCOPE_DB": "from-env.db"})
    assert (tmp_path / "from-env.db").exists()
    _stats(tmp_path, "--db", "from-flag.db", env={"ECHOSCOPE_DB": "from-env.db"})
    assert (tmp_path / "from-flag.db").exists()
    assert not (tmp_path / "echoscope.db").exists()


def test_a_config_file_named_by_the_environment_is_read(tmp_path):
    config = tmp_path / "team.toml"
    config.write_text('db = "team.db"\n', encoding="utf-8")
    _stats(tmp_path, env={"ECHOSCOPE_CONFIG": str(config)})
    assert (tmp_path / "team.db").exists()


def test_a_broken_or_unknown_setting_is_a_one_line_error(tmp_path):
    (tmp_path / "echoscope.toml").write_text('db = "unterminated\n', encoding="utf-8")
    broken = _stats(tmp_path)
    (tmp_path / "echoscope.toml").write_text('database = "x.db"\n', encoding="utf-8")
    unknown = _stats(tmp_path)
    for result, message in ((broken, "echoscope.toml"), (unknown, "unknown setting(s) database")):
        assert result.returncode == 2
        assert message in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.glob("*.db"))
