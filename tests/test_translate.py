"""Translation: the LibreTranslate client against a real loopback server, the argos backend's checks,
the `none` backend, the cached translate stage (no recompute, --force, edited posts) and the CLI."""

from __future__ import annotations

import functools
import io
import os
import socket
import sqlite3
import subprocess
import sys
import types
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest
from rich.console import Console
from sqlalchemy import delete, insert, select

from builders import BASE, capture, channel, post
from echoscope import config, pipeline
from echoscope.cli.translate import print_post
from echoscope.errors import ConfigError
from echoscope.ingest import ingest
from echoscope.stages import Stage, StageReport
from echoscope.stages.lang import LanguageStage
from echoscope.stages.translate import Translate
from echoscope.store import Store, stage_runs
from echoscope.store.schema import posts
from echoscope.store.schema_text import post_language
from echoscope.store.schema_translations import translations
from echoscope.store.translations import find_post
from echoscope.text._libretranslate import LibreTranslate
from echoscope.text.translate import TranslationFailed, TranslatorUnavailable, make_translator
from libretranslate_server import STALL, LibreTranslateServer, fake_translation

ARABIC = "صلواتكم لجيش روسيا العظيمة"
PERSIAN = "ناتو در اوکراین شکست خورد"
ENGLISH = "The channel says that NATO has lost the war in Ukraine"


def NOTHING(done: int, total: int | None) -> None:
    """A progress callback that ignores progress."""


@pytest.fixture
def server():
    with LibreTranslateServer() as running:
        yield running


def _settings(url: str = "http://127.0.0.1:9", **overrides) -> dict:
    return Translate.defaults | {"backend": "libretranslate", "url": url, "backoff": 0.0} | overrides


def _client(url: str, api_key: str | None = None, **overrides) -> LibreTranslate:
    settings = _settings(url, **overrides)
    return LibreTranslate(url, api_key, **{key: settings[key] for key in ("batch_size", "retries", "backoff", "timeout")})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def _archive(store: Store, languages: dict[int, str], *items) -> None:
    """Ingest the posts in `items`, then record the language of each (post id → ISO code)."""
    ingest(store, [capture(), channel(), *items])
    _identify(store, languages)


def _identify(store: Store, languages: dict[int, str]) -> None:
    """What the lang stage writes: one post_language row per post, for its current version."""
    with store.transaction() as conn:
        for post_id, language in languages.items():
            pk, version = conn.execute(select(posts.c.pk, posts.c.version).where(posts.c.post_id == post_id)).one()
            conn.execute(delete(post_language).where(post_language.c.post_pk == pk))
            conn.execute(insert(post_language).values(post_pk=pk, version=version, language=language, confidence=0.97,
                                                      mixed=False, scripts=["Arabic" if language in ("ar", "fa") else "Latin"]))


def _stored(store: Store) -> list:
    with store.reading() as conn:
        query = select(translations, posts.c.post_id).join(posts, posts.c.pk == translations.c.post_pk)
        return conn.execute(query.order_by(posts.c.post_id, translations.c.version)).all()


# The LibreTranslate client, against a real server on loopback


def test_texts_go_in_batches_and_come_back_in_order(server):
    texts = [f"{ARABIC} {n}" for n in range(5)]
    client = _client(server.url, batch_size=2)
    assert client.model("ar", "en") == f"LibreTranslate at {server.url}"
    assert client.translate(texts, "ar", "en") == [fake_translation(text, "ar", "en") for text in texts]
    assert [call["q"] for call in server.translate_calls] == [texts[0:2], texts[2:4], texts[4:5]]
    assert {(call["source"], call["target"], call["format"]) for call in server.translate_calls} == {("ar", "en", "text")}


def test_a_429_is_retried_and_then_succeeds(server):
    server.fail_next(429, 429)
    assert _client(server.url, retries=2).translate([PERSIAN], "fa", "en") == [fake_translation(PERSIAN, "fa", "en")]
    assert server.statuses == [429, 429, 200]
    assert len(server.translate_calls) == 3 and all(call["q"] == [PERSIAN] for call in server.translate_calls)


def test_500s_until_the_retries_run_out_fail_with_the_servers_message(server):
    server.fail_next(*[500] * 10)
    with pytest.raises(TranslationFailed, match=r"failed 4 times with 500 \(Cannot translate text: CUDA out of memory\)"):
        _client(server.url, retries=3).translate([ARABIC], "ar", "en")
    assert server.statuses == [500] * 4


def test_a_server_too_slow_to_answer_is_retried_then_given_up_on(server):
    server.stall_seconds = 0.6
    server.fail_next(STALL)
    assert _client(server.url, timeout=0.2, retries=1).translate([ARABIC], "ar", "en") == [fake_translation(ARABIC, "ar", "en")]
    assert len(server.translate_calls) == 2
    server.fail_next(STALL, STALL)
    with pytest.raises(TranslationFailed, match=r"did not answer /translate \(ReadTimeout.*after 2 attempts"):
        _client(server.url, timeout=0.2, retries=1).translate([ARABIC], "ar", "en")
    assert len(server.translate_calls) == 4


def test_a_bad_api_key_says_which_variable_to_set_and_is_not_retried():
    with LibreTranslateServer(api_keys={"right-key"}) as server:
        with pytest.raises(TranslatorUnavailable, match="Invalid API key.*ECHOSCOPE_LIBRETRANSLATE_API_KEY") as raised:
            _client(server.url, "wrong-key").translate([ARABIC], "ar", "en")
        assert "wrong-key" not in str(raised.value)
        assert server.statuses == [403]
        with pytest.raises(TranslatorUnavailable, match="get an API key.*ECHOSCOPE_LIBRETRANSLATE_API_KEY"):
            _client(server.url).translate([ARABIC], "ar", "en")
        assert _client(server.url, "right-key").translate([ARABIC], "ar", "en") == [fake_translation(ARABIC, "ar", "en")]
        assert server.translate_calls[-1]["api_key"] == "right-key"


def test_a_server_that_is_down_says_what_to_start():
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(TranslatorUnavailable, match=f"cannot reach the LibreTranslate server at {url}.*docker run .*libretranslate"):
        _client(url).model("ar", "en")


def test_a_pair_the_server_does_not_offer_names_the_languages_to_load():
    with LibreTranslateServer(languages={"en": "English", "ru": "Russian"}) as server:
        with pytest.raises(TranslatorUnavailable, match="does not translate fa→en.*--load-only en,fa,ru"):
            _client(server.url).model("fa", "en")
        assert _client(server.url).model("ru", "en")


def test_a_request_the_server_rejects_fails_at_once_with_its_reason():
    with LibreTranslateServer(batch_limit=2) as server:
        with pytest.raises(TranslationFailed, match=r"rejected /translate with 400: .*exceeds text limit \(2\)"):
            _client(server.url, batch_size=3).translate([ARABIC] * 3, "ar", "en")
        assert server.statuses == [400]


def test_credentials_in_the_url_never_reach_the_model_label(server):
    with_credentials = server.url.replace("http://", "http://analyst:secret@")
    assert "secret" not in _client(with_credentials).model("ar", "en")


# The argos backend: Argos Translate is not installed here; its API is faked at the import boundary


def test_argos_not_installed_says_what_to_pip_and_argospm_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "argostranslate", None)  # import fails as when it is not installed
    with pytest.raises(TranslatorUnavailable, match=r"pip install 'echoscope\[translate\]'.*argospm install translate-ar_en"):
        make_translator({"backend": "argos"}).model("ar", "en")


def _fake_argos(monkeypatch, *pairs: tuple[str, str, str]) -> list[tuple[str, str]]:
    """Install a stand-in `argostranslate` with packages (from, to, version); returns the pairs it translated."""
    used: list[tuple[str, str]] = []

    class Translation:
        def __init__(self, source, target):
            self.source, self.target = source, target

        def translate(self, text):
            used.append((self.source, self.target))
            return fake_translation(text, self.source, self.target)

    package = types.ModuleType("argostranslate.package")
    package.get_installed_packages = lambda: [
        types.SimpleNamespace(from_code=source, to_code=target, package_version=version) for source, target, version in pairs
    ]
    translate = types.ModuleType("argostranslate.translate")
    translate.get_translation_from_codes = Translation
    root = types.ModuleType("argostranslate")
    root.package, root.translate = package, translate
    for name, module in (("argostranslate", root), ("argostranslate.package", package), ("argostranslate.translate", translate)):
        monkeypatch.setitem(sys.modules, name, module)
    return used


def test_argos_names_the_missing_package_and_the_installed_ones(monkeypatch):
    _fake_argos(monkeypatch, ("fa", "en", "1.9"), ("ru", "en", "1.7"))
    argos = make_translator({"backend": "argos"})
    with pytest.raises(TranslatorUnavailable, match=r"no Argos Translate package for ar→en \(installed: fa→en, ru→en\); "
                                                    r"install it with: argospm update && argospm install translate-ar_en$"):
        argos.model("ar", "en")
    assert argos.model("fa", "en") == "translate-fa_en 1.9"


def test_argos_pivots_through_english_and_names_only_the_missing_leg(monkeypatch):
    _fake_argos(monkeypatch, ("ar", "en", "1.1"), ("en", "de", "1.0"))
    argos = make_translator({"backend": "argos"})
    assert argos.model("ar", "de") == "translate-ar_en 1.1 + translate-en_de 1.0"
    with pytest.raises(TranslatorUnavailable, match=r"argospm install translate-fa_en$"):
        argos.model("fa", "de")


def test_the_stage_translates_what_argos_can_and_says_how_to_get_the_rest(sqlite_path, monkeypatch):
    used = _fake_argos(monkeypatch, ("fa", "en", "1.9"))
    with Store(sqlite_path) as store:
        _archive(store, {1: "ar", 2: "fa"}, post(1, ARABIC), post(2, PERSIAN))
        report = Translate().run(store, Translate.defaults | {"backend": "argos"}, NOTHING)
        stored = _stored(store)
    assert (report.status, report.counts) == ("ran", {"translated": 1, "left untranslated": 1})
    assert "argospm update && argospm install translate-ar_en" in report.note
    assert [(row.post_id, row.backend, row.model, row.text) for row in stored] == [
        (2, "argos", "translate-fa_en 1.9", fake_translation(PERSIAN, "fa", "en"))
    ]
    assert used == [("fa", "en")]


# The translate stage: cached, incremental, per post version


def test_translations_are_cached_and_never_recomputed_unless_forced(store, server):
    _archive(store, {1: "ar", 2: "fa", 3: "en"}, post(1, ARABIC), post(2, PERSIAN), post(3, ENGLISH))
    first = Translate().run(store, _settings(server.url), NOTHING)
    stored = _stored(store)
    assert (first.status, first.counts["translated"]) == ("ran", 2)
    assert [(row.post_id, row.source, row.target, row.backend, row.version) for row in stored] == [
        (1, "ar", "en", "libretranslate", 1), (2, "fa", "en", "libretranslate", 1)
    ]
    assert [row.text for row in stored] == [fake_translation(ARABIC, "ar", "en"), fake_translation(PERSIAN, "fa", "en")]
    assert all(row.model == f"LibreTranslate at {server.url}" and row.translated_at for row in stored)
    calls = len(server.translate_calls)

    again = Translate().run(store, _settings(server.url), NOTHING)
    assert again.counts["translated"] == 0 and len(server.translate_calls) == calls
    assert _stored(store) == stored

    forced = Translate().run(store, _settings(server.url), NOTHING, force=True)
    after = _stored(store)
    assert forced.counts["translated"] == 2 and len(server.translate_calls) > calls
    assert [(row.post_id, row.text) for row in after] == [(row.post_id, row.text) for row in stored]
    assert all(new.translated_at >= old.translated_at for new, old in zip(after, stored))


def test_an_edited_post_gets_a_new_translation_and_keeps_the_old_one(store, server):
    original = post(1, ARABIC)
    _archive(store, {1: "ar", 2: "fa"}, original, post(2, PERSIAN))
    Translate().run(store, _settings(server.url, languages=["ar"]), NOTHING)
    edited_text = ARABIC + " والناتو"
    edited = replace(original, text=edited_text, edited=BASE + timedelta(hours=2), raw={"id": 1, "text": edited_text})
    ingest(store, [capture(sha="c" * 64), channel(), edited])
    waiting = Translate().run(store, _settings(server.url, languages=["ar"]), NOTHING)
    assert waiting.counts["translated"] == 0 and "language not identified yet for 1 post(s)" in waiting.note
    _identify(store, {1: "ar"})

    report = Translate().run(store, _settings(server.url, languages=["ar"]), NOTHING)
    assert report.counts["translated"] == 1 and server.translate_calls[-1]["q"] == [edited_text]
    assert [(row.post_id, row.version, row.text) for row in _stored(store)] == [
        (1, 1, fake_translation(ARABIC, "ar", "en")), (1, 2, fake_translation(edited_text, "ar", "en"))
    ]
    with store.reading() as conn:
        record = find_post(conn, "channel1001", 1)
    assert (record["text"], record["version"], [t["version"] for t in record["translations"]]) == (edited_text, 2, [2, 1])
    screen = Console(file=io.StringIO(), width=200)
    print_post(screen, record)
    shown = screen.file.getvalue()
    assert shown.index(edited_text) < shown.index(fake_translation(edited_text, "ar", "en")) < shown.index("of version 1, before an edit")


def test_the_none_backend_switches_translation_off_and_stores_nothing(sqlite_path):
    with Store(sqlite_path) as store:
        _archive(store, {1: "ar"}, post(1, ARABIC))
        report = Translate().run(store, Translate.defaults, NOTHING)
        assert Translate.defaults["backend"] == "none"
        assert (report.status, report.counts) == ("skipped", {"translated": 0, "left untranslated": 1})
        assert 'translation is off (backend "none")' in report.note and "--backend argos" in report.note
        assert _stored(store) == []


def test_a_server_that_fails_midway_keeps_the_batches_already_stored(sqlite_path, server):
    texts = [f"{ARABIC} {n}" for n in range(1, 6)]
    with Store(sqlite_path) as store:
        _archive(store, dict.fromkeys(range(1, 6), "ar"), *(post(n, text) for n, text in enumerate(texts, 1)))
        server.fail_next(200, 500, 500)  # the first batch goes through, the second fails every attempt
        report = Translate().run(store, _settings(server.url, batch_size=2, retries=1), NOTHING)
        assert report.status == "failed" and report.counts["translated"] == 2
        assert "failed 2 times with 500" in report.note and "2 translations were stored before this" in report.note
        assert [row.post_id for row in _stored(store)] == [1, 2]
        resumed = Translate().run(store, _settings(server.url, batch_size=2), NOTHING)
        assert resumed.counts["translated"] == 3
        assert [row.text for row in _stored(store)] == [fake_translation(text, "ar", "en") for text in texts]


def test_after_the_lang_stage_an_unusable_backend_is_skipped_and_the_pipeline_goes_on(sqlite_path, server, monkeypatch, tmp_path):
    ran: list[str] = []

    class Echoes(Stage):
        name, kind = "echoes", "link"

        def run(self, store, settings, progress):
            ran.append(self.name)
            return StageReport(self.name)

    def configure(url: str) -> None:
        (tmp_path / "echoscope.toml").write_text(f'[stages.translate]\nbackend = "libretranslate"\nurl = "{url}"\nbackoff = 0\n')
        config.file_settings.cache_clear()

    down = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECHOSCOPE_CONFIG", raising=False)
    monkeypatch.setattr(pipeline, "STAGES", [LanguageStage, Translate, Echoes])
    try:
        with Store(sqlite_path) as store:
            ingest(store, [capture(), channel(), post(1, ARABIC), post(2, PERSIAN), post(3, ENGLISH)])
            configure(down)
            reports = {report.name: report for report in pipeline.run_stages(store)}
            assert reports["lang"].status == "ran"
            assert reports["translate"].status == "skipped"
            assert f"cannot reach the LibreTranslate server at {down}" in reports["translate"].note
            assert ran == ["echoes"] and reports["echoes"].status == "ran"
            assert [(run["stage"], run["status"]) for run in stage_runs.history(store)][:2] == [("echoes", "ran"), ("translate", "skipped")]

            configure(server.url)
            [again] = pipeline.run_stages(store, ["translate"])
            stored = _stored(store)
    finally:
        config.file_settings.cache_clear()
    assert (again.status, again.counts) == ("ran", {"translated": 2})
    assert [(row.post_id, row.source, row.text) for row in stored] == [
        (1, "ar", fake_translation(ARABIC, "ar", "en")), (2, "fa", fake_translation(PERSIAN, "fa", "en"))
    ]


def test_wrong_settings_are_config_errors_naming_the_setting(sqlite_path):
    with Store(sqlite_path) as store:
        with pytest.raises(ConfigError, match=r"backend = 'deepl': expected one of argos, libretranslate, none"):
            Translate().run(store, Translate.defaults | {"backend": "deepl"}, NOTHING)
        with pytest.raises(ConfigError, match=r"'Arabic' is not a language code"):
            Translate().run(store, Translate.defaults | {"languages": ["Arabic"]}, NOTHING)
        with pytest.raises(ConfigError, match=r"batch_size = 0: must be at least 1"):
            Translate().run(store, Translate.defaults | {"batch_size": 0}, NOTHING)


# The CLI, as an analyst runs it: a real process


def _echoscope(*args: str, db, cwd, **env) -> subprocess.CompletedProcess:
    environment = os.environ | {"COLUMNS": "200", "NO_COLOR": "1", "ECHOSCOPE_DB": str(db)} | env
    environment.pop("ECHOSCOPE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "echoscope", *args], capture_output=True, text=True, env=environment, cwd=cwd)


def test_translate_then_show_prints_the_original_next_to_its_translation(sqlite_path, server, tmp_path):
    with Store(sqlite_path) as store:
        _archive(store, {1: "ar", 2: "fa"}, post(1, ARABIC), post(2, PERSIAN))
    run = functools.partial(_echoscope, db=sqlite_path, cwd=tmp_path)
    done = run("translate", "--backend", "libretranslate", "--url", server.url, "--lang", "ar",
               ECHOSCOPE_LIBRETRANSLATE_API_KEY="never-stored")
    assert done.returncode == 0, done.stderr
    assert "translated 1" in done.stdout
    assert [call["q"] for call in server.translate_calls] == [[ARABIC]]
    assert server.translate_calls[0]["api_key"] == "never-stored"

    shown = run("show", "channel1001/1", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    record = orjson.loads(shown.stdout)
    assert (record["text"], record["language"], record["post_id"]) == (ARABIC, "ar", 1)
    assert [(t["text"], t["backend"], t["version"], t["source"]) for t in record["translations"]] == [
        (fake_translation(ARABIC, "ar", "en"), "libretranslate", 1, "ar")
    ]
    table = run("show", "https://t.me/c/1001/1")
    assert table.returncode == 0, table.stderr
    assert ARABIC in table.stdout and "original · ar (0.97)" in table.stdout  # the original as stored, not reordered
    assert "translation ar→en · libretranslate" in table.stdout and fake_translation(ARABIC, "ar", "en") in table.stdout
    untranslated = run("show", "channel1001/2")
    assert PERSIAN in untranslated.stdout and "no translation of this version yet" in untranslated.stdout

    with Store(sqlite_path) as store:
        assert "never-stored" not in repr(_stored(store)) + repr(stage_runs.history(store))


def test_translate_exits_non_zero_with_the_reason_when_the_backend_is_unusable(sqlite_path, tmp_path):
    with Store(sqlite_path) as store:
        _archive(store, {1: "ar"}, post(1, ARABIC))
    (tmp_path / "echoscope.toml").write_text('[stages.translate]\nbackend = "argos"\n')
    result = _echoscope("translate", db=sqlite_path, cwd=tmp_path)
    assert result.returncode == 1
    assert "skipped" in result.stdout and "argospm install translate-ar_en" in result.stdout.replace("\n", "")


def test_show_refuses_what_is_not_a_post_reference(sqlite_path, tmp_path):
    with Store(sqlite_path) as store:
        ingest(store, [capture(), channel(), post(1, ARABIC)])
    not_a_ref = _echoscope("show", "not-a-ref", db=sqlite_path, cwd=tmp_path)
    assert not_a_ref.returncode == 2 and "'not-a-ref' is not a post reference" in not_a_ref.stderr
    missing = _echoscope("show", "channel1001/99", db=sqlite_path, cwd=tmp_path)
    assert missing.returncode == 2 and "no post 99" in missing.stderr


def test_a_store_made_before_translations_existed_gets_the_table_on_opening(sqlite_path):
    Store(sqlite_path).close()
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("DROP TABLE translations")
        conn.execute("UPDATE alembic_version SET version_num = '0003'")
    with Store(sqlite_path) as store:
        _archive(store, {1: "ar"}, post(1, ARABIC))
        with store.transaction() as conn:
            conn.execute(insert(translations).values(post_pk=1, version=1, source="ar", target="en", backend="argos", model="m",
                                                     text="t", translated_at=BASE, tool_version="test"))
        assert len(_stored(store)) == 1
