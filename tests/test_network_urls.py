"""Link normalisation: copies of one link written differently become one link; different pages stay apart."""

from __future__ import annotations

import pytest

from echoscope.network.urls import normalize_url, post_links

SAME_PAGE = [
    "https://example.com/news/1",
    "HTTP://WWW.Example.COM/news/1/",
    "https://example.com/news/1?utm_source=telegram&utm_medium=social",
    "https://example.com/news/1?fbclid=IwAR0abc#comments",
    "example.com/news/1",
    "https://example.com:443/news/1",
]


@pytest.mark.parametrize("variant", SAME_PAGE)
def test_copies_of_one_link_normalise_alike(variant):
    assert normalize_url(variant) == "https://example.com/news/1"


def test_telegram_forms_of_one_post_normalise_alike():
    forms = ["https://t.me/s/Rybar/123", "t.me/rybar/123", "https://telegram.me/RYBAR/123?single", "https://www.t.me/rybar/123/"]
    assert {normalize_url(form) for form in forms} == {"https://t.me/rybar/123"}


def test_meaningful_parameters_and_paths_keep_pages_apart():
    assert normalize_url("https://example.com/watch?v=abc&utm_campaign=x") == "https://example.com/watch?v=abc"
    assert normalize_url("https://example.com/watch?v=abc") != normalize_url("https://example.com/watch?v=xyz")
    assert normalize_url("https://example.com/a?b=2&a=1") == normalize_url("https://example.com/a?a=1&b=2")
    assert normalize_url("https://example.com/News/1") != normalize_url("https://example.com/news/1")  # paths keep case
    assert normalize_url("https://example.com:8080/x") == "https://example.com:8080/x"


@pytest.mark.parametrize("junk", ["", "   ", "mailto:someone@example.com", "ftp://example.com/file", "https://", "http://[::1"])
def test_what_is_not_a_web_link_is_none(junk):
    assert normalize_url(junk) is None


def test_post_links_reads_entities_text_and_extra_once_each():
    text = "عاجل | الخبر كاملاً: https://example.com/news/1?utm_source=tg. وأيضاً www.other.org/a, و t.me/s/Kahf/9"
    entities = [
        {"type": "text_link", "start": 0, "end": 4, "href": "https://www.example.com/news/1/"},
        {"type": "link", "start": 0, "end": 4},  # the linked text itself ("عاجل") is no link
        {"type": "bold", "start": 0, "end": 4, "href": "https://ignored.example/"},
    ]
    found = list(post_links(text, entities, {"link": "https://shared.example/x?fbclid=1", "url": "https://own.example/1"}))
    assert found == ["https://example.com/news/1", "https://other.org/a", "https://t.me/kahf/9", "https://shared.example/x"]
