"""The analyst's report: every section from the store, footnotes that cite archived versions, and an XSS
corpus (post text, channel titles, registry fields, links) rendered inert in HTML, Markdown and PDF."""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import report_corpus
from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import select

from echoscope.findings import ECHO_CASCADE
from echoscope.report import Scope, build_report, write
from echoscope.report.render import html, markdown, pdf_unavailable
from echoscope.report.safety import clickable, direction, isolate_rtl, md_escape
from echoscope.store import Store
from echoscope.store import findings as stored_findings
from echoscope.store.schema import post_versions

CLICKABLE = {"http", "https", "tg"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    store = Store(root / "echoscope.db")
    report_corpus.build(store, root / "exports")
    report_corpus.analyze(store)
    yield store, root
    store.close()


@pytest.fixture(scope="module")
def written(corpus):
    store, root = corpus
    formats = ("html", "md") if pdf_unavailable() else ("html", "md", "pdf")
    return {path.suffix: path for path in write(build_report(store, title="June 2023 <b>monitoring</b>"), root / "out", formats)}


def _dangerous(tree: HTMLParser) -> list[str]:
    """Anything in a parsed document that could run or fetch: script/iframe/object elements, event handler
    attributes, links or sources with a scheme other than http/https/tg (images: our embedded charts and
    re-encoded thumbnails, or the Markdown report's charts/ folder)."""
    found = [node.tag for node in tree.css("script, iframe, object, embed, form, base, meta[http-equiv=refresh]")]
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            if name.lower().startswith("on"):
                found.append(f"{node.tag} {name}")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value and not value.startswith("#"):
                scheme = urlsplit(value.strip()).scheme.lower()
                chart = node.tag == "img" and name == "src" and value.startswith(("data:image/svg+xml", "data:image/jpeg", "charts/"))
                if not (scheme in CLICKABLE or chart):
                    found.append(f"{node.tag} {name}={value[:40]}")
    return found


def test_the_html_report_has_every_section_and_nothing_that_runs(written):
    tree = HTMLParser(written[".html"].read_text(encoding="utf-8"))
    assert _dangerous(tree) == []
    assert tree.css_first("title").text() == "June 2023 <b>monitoring</b>"
    sections = {node.attributes["id"] for node in tree.css("section")}
    assert {"key-findings", "echo-cascades", "trends", "channels", "method", "footnotes"} <= sections
    text = tree.body.text()
    for payload in report_corpus.XSS_PAYLOADS + (report_corpus.XSS_TITLE,):
        assert payload in text  # shown as text, exactly as posted
    assert tree.css("img[src^='data:image/svg+xml']"), "charts are embedded"


def test_only_http_https_and_tg_links_are_clickable(written):
    tree = HTMLParser(written[".html"].read_text(encoding="utf-8"))
    hrefs = {node.attributes["href"] for node in tree.css("a[href]") if not node.attributes["href"].startswith("#")}
    assert set(report_corpus.SAFE_LINKS) <= hrefs
    assert all(urlsplit(href).scheme in CLICKABLE for href in hrefs)
    inert = {node.text() for node in tree.css("span.inert")}
    assert set(report_corpus.UNSAFE_LINKS) <= inert


def test_a_footnote_cites_permalink_dates_capture_and_the_hashes_of_the_cited_version(corpus, written):
    store, root = corpus
    post_pk, version = report_corpus.post_key(store, "channel1001", 1000)
    with store.reading() as conn:
        raw_sha256 = conn.execute(select(post_versions.c.raw_sha256).where(post_versions.c.post_pk == post_pk)).scalar_one()
    photo = hashlib.sha256((root / "exports" / "friends" / "photos" / "nato.jpg").read_bytes()).hexdigest()
    tree = HTMLParser(written[".html"].read_text(encoding="utf-8"))
    (note,) = [node for node in tree.css("ol.footnotes > li") if node.css_first("a[href='https://t.me/friends_of_russia_iq/1000']")]
    words = note.text()
    assert raw_sha256 in words and photo in words
    assert "posted 2023-06-07 10:00 UTC" in words and "from tdesktop" in words and "captured " in words
    quote = note.css_first("blockquote")
    assert quote.attributes["dir"] == "rtl" and quote.text() == report_corpus.NATO_POST


def test_key_findings_cite_footnotes_that_exist_in_rank_order(corpus, written):
    store, _ = corpus
    tree = HTMLParser(written[".html"].read_text(encoding="utf-8"))
    items = tree.css("section#key-findings ol > li")
    with store.reading() as conn:
        ranked = stored_findings.ranked(conn)
    shown = items[0].text().split(" ", 1)[1].replace("\u2068", "").replace("\u2069", "")  # less the bidi isolates
    assert shown.startswith(ranked[0]["statement"])
    notes = {node.attributes["id"] for node in tree.css("ol.footnotes > li")}
    cited = {node.attributes["href"].removeprefix("#") for node in tree.css("sup.ref a")}
    assert cited and cited <= notes


def test_a_section_whose_stage_has_not_run_is_left_out_with_the_reason(written):
    tree = HTMLParser(written[".html"].read_text(encoding="utf-8"))
    sections = {node.attributes["id"] for node in tree.css("section")}
    omitted = tree.css_first("ul.omitted")
    reasons = omitted.text() if omitted else ""
    for section, title in (("image-provenance", "Image provenance"), ("network", "Coordination network"), ("symbols", "Symbols next to entities")):
        assert (section in sections) != (f"{title}: not in this report" in reasons)


def test_the_markdown_report_renders_to_inert_html_and_keeps_the_text(written):
    source = written[".md"].read_text(encoding="utf-8")
    rendered = HTMLParser(MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(source))
    assert _dangerous(rendered) == []
    assert not [node for node in rendered.css("img") if "evil.example" in node.attributes.get("src", "")]
    text = rendered.body.text()
    for payload in report_corpus.XSS_PAYLOADS + (report_corpus.XSS_TITLE,):
        assert payload in text
    hrefs = {node.attributes["href"] for node in rendered.css("a[href]")}
    assert {"https://t.me/friends_of_russia_iq/1000", "tg://resolve?domain=kahf_media"} <= hrefs
    for chart in rendered.css("img"):
        assert (written[".md"].parent / chart.attributes["src"]).is_file()


def test_the_pdf_links_only_to_http_https_tg_and_embeds_arabic_fonts(corpus, written):
    if ".pdf" not in written:
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to write PDF: {pdf_unavailable()}")
        pytest.skip(pdf_unavailable())
    from weasyprint import HTML

    store, _ = corpus
    document = HTML(string=html(build_report(store))).render()
    external = [target for page in document.pages for kind, target, *_ in page.links if kind == "external"]
    assert "https://t.me/friends_of_russia_iq/1000" in external
    assert all(urlsplit(target).scheme in CLICKABLE for target in external)
    data = written[".pdf"].read_bytes()
    assert data.startswith(b"%PDF") and b"/JavaScript" not in data and b"/Launch" not in data
    objects = data + b"".join(_inflated_streams(data))
    fonts = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([A-Za-z0-9\-]+)", objects))
    assert fonts & {b"Noto-Naskh-Arabic", b"Noto-Sans-Arabic"}, fonts  # Arabic quotes set in an Arabic font
    assert b"/JavaScript" not in objects and b"/Launch" not in objects


def _inflated_streams(data: bytes) -> list[bytes]:
    """The PDF's compressed streams (object streams hold the font dictionaries), inflated."""
    found = []
    for chunk in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            found.append(zlib.decompress(chunk))
        except zlib.error:
            continue
    return found


def test_the_scope_narrows_the_report(corpus):
    store, _ = corpus
    kahf = build_report(store, Scope(affiliation="Ashab al-Kahf"))
    assert [row.channel_id for row in kahf.channels] == ["channel1002"]
    assert kahf.key_findings and all(any(note.affiliation == "Ashab al-Kahf" for note in kahf.footnotes if note.number in f.refs)
                                     for f in kahf.key_findings)
    assert "affiliation: Ashab al-Kahf" in MarkdownIt("commonmark").render(markdown(kahf))


def test_echo_cascades_show_origin_first_with_lags(corpus):
    store, _ = corpus
    report = build_report(store)
    with store.reading() as conn:
        assert len(report.cascades) == len(stored_findings.ranked(conn, kinds=[ECHO_CASCADE]))
    nato = next(c for c in report.cascades if c.origin.channel == "Friends of Russia in Iraq")
    assert nato.origin.lag == "origin" and [m.channel for m in nato.echoes] == ["قناة الكهف"]
    assert nato.echoes[0].lag == "23.5 hours" and nato.quote.dir == "rtl"


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://t.me/x/1", True), ("http://example.org", True), ("tg://resolve?domain=x", True),
    ("javascript:alert(1)", False), ("JAVASCRIPT:alert(1)", False), ("java\tscript:alert(1)", False),
    ("data:text/html,x", False), ("vbscript:x", False), ("//evil.example/x", False), ("https:evil", False),
    ("https://ex ample.org", False), (None, False), ("", False),
])
def test_clickable_allows_only_web_and_telegram_links(url, allowed):
    assert (clickable(url) is not None) is allowed


def test_markdown_escaping_leaves_no_syntax():
    rendered = MarkdownIt("commonmark", {"html": True}).render(md_escape("**b** _i_ [a](https://x) <i>h</i> # t `c` ![i](x)"))
    tree = HTMLParser(rendered)
    assert not tree.css("strong, em, a, i, h1, code, img")
    assert tree.body.text().strip() == "**b** _i_ [a](https://x) <i>h</i> # t `c` ![i](x)"


@pytest.mark.parametrize(("text", "way"), [("الناتو يدعم", "rtl"), ("«123» НАТО", "ltr"), ("2023: نشر", "rtl"), ("🏳️‍🌈 NATO", "ltr"), ("", "ltr")])
def test_direction_follows_the_first_strong_letter(text, way):
    assert direction(text) == way


def test_image_provenance_shows_the_archived_picture_and_where_it_was_first_seen(corpus, written):
    if "image-provenance" not in {node.attributes["id"] for node in HTMLParser(written[".html"].read_text(encoding="utf-8")).css("section")}:
        pytest.skip("the images stage (issue 6) is not registered yet")
    store, root = corpus
    (case,) = build_report(store).images
    assert (case.first.platform, case.first.channel, case.first.lag) == ("Facebook", "Iraq Today (Facebook)", "first seen")
    assert [member.channel for member in case.later] == ["Friends of Russia in Iraq", "قناة الكهف"]
    first_note = build_report(store).footnotes[case.first.ref - 1]
    assert first_note.permalink.url == "https://www.facebook.com/iraq.today.page/posts/501"  # the table's post URL
    assert case.later[0].lag == "18 days"  # 20 May 08:00 → 7 June 10:00
    tree = HTMLParser(written[".html"].read_text(encoding="utf-8"))
    thumbnail = tree.css_first("section#image-provenance img.thumbnail").attributes["src"]
    assert thumbnail.startswith("data:image/jpeg;base64,") and len(thumbnail) > 2000


def test_a_cached_translation_is_shown_next_to_the_original_with_its_backend(corpus):
    from echoscope.store import translations as stored_translations

    store, _ = corpus
    post_pk, version = report_corpus.post_key(store, "channel1001", 1000)
    english = "Urgent | NATO 🏳️‍🌈 sends new weapons to Zelensky, and Putin warns of a response <script>x</script>"
    with store.transaction() as conn:
        stored_translations.save(conn, [{"post_pk": post_pk, "version": version, "source": "ar", "target": "en", "backend": "argos",
                                         "model": "translate-ar_en 1.0", "text": english, "translated_at": datetime.now(UTC),
                                         "tool_version": "test"}])
    report = build_report(store)
    (note,) = [note for note in report.footnotes if note.permalink.url == "https://t.me/friends_of_russia_iq/1000"]
    assert (note.quote.text, note.quote.translation, note.quote.translation_source) == (
        report_corpus.NATO_POST, english, "machine translation, argos (translate-ar_en 1.0)")
    tree = HTMLParser(html(report))
    shown = [node for node in tree.css("p.translation") if english in node.text()]  # in the footnote and the cascade
    assert shown and all("machine translation, argos (translate-ar_en 1.0)" in node.text() and node.attributes["dir"] == "ltr"
                         for node in shown)
    assert not tree.css("script")


def test_right_to_left_names_in_an_english_sentence_are_isolated_one_by_one():
    sentence = "3 channels (إعلام أصحاب الكهف, قناة 2 and صابرون نيوز (تجريبي)), affiliated with Ashab al-Kahf."
    isolated = isolate_rtl(sentence)
    assert isolated == ("3 channels (\u2068إعلام أصحاب الكهف\u2069, \u2068قناة\u2069 2 and \u2068صابرون نيوز (تجريبي)\u2069), "
                        "affiliated with Ashab al-Kahf.")
    assert isolate_rtl("no Arabic here (at all).") == "no Arabic here (at all)."


def test_markdown_blocks_stand_apart_so_tables_headings_and_quotes_render_as_such(written):
    text = written[".md"].read_text(encoding="utf-8")
    rendered = HTMLParser(MarkdownIt("commonmark").enable("table").render(text))
    lines = text.split("\n")
    for before, line in zip(lines, lines[1:]):
        if line.startswith(("#", "| ", ">")) and before.strip():
            assert before.startswith(line[0]), f"no blank line between {before[:40]!r} and {line[:40]!r}"
    assert rendered.css("table") and rendered.css("blockquote") and rendered.css("h3")
    assert not any(node.css("table") for node in rendered.css("blockquote"))  # a table never runs into a quote
