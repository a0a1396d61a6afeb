"""The admin's card editor: the live-preview endpoint and the editor on the change form."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from quiz import rendering

pytestmark = pytest.mark.django_db

PREVIEW = reverse("admin:quiz_card_preview", args=["answer"])


def test_preview_renders_with_the_review_pages_renderer(staff_client):
    source = "Where:\n- \\( X_t \\) is the series\n\n```python\ndef f():\n    return 1\n```"
    response = staff_client.post(PREVIEW, {"answer": source}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div class="card-side card-answer markdown">')
    assert re.search(r'<li><span class="math math-inline"><math[^>]*>.*? X_t </annotation></semantics></math></span> is the series</li>', html)
    assert '<span class="k">def</span>' in html
    assert "<html" not in html  # a fragment, not a page


def test_preview_sanitises_like_the_review_page(staff_client):
    response = staff_client.post(PREVIEW, {"answer": '<img src=x onerror="alert(1)"><script>alert(1)</script>'})
    html = response.content.decode()
    assert "onerror" not in html and "<script" not in html


def test_question_side_is_previewed_as_a_question(staff_client):
    response = staff_client.post(reverse("admin:quiz_card_preview", args=["question"]), {"question": "Why **so**?"})
    assert response.content.decode() == '<div class="card-side card-question markdown"><p>Why <strong>so</strong>?</p></div>'


def test_an_unknown_side_is_404(staff_client):
    assert staff_client.post(reverse("admin:quiz_card_preview", args=["source_key"]), {}).status_code == 404


def test_preview_is_post_only(staff_client):
    assert staff_client.get(PREVIEW).status_code == 405


def test_preview_is_for_staff_only(client, user_client):
    anonymous = Client().post(PREVIEW, {"answer": "x"})
    assert anonymous.status_code == 302 and "login/" in anonymous["Location"]
    assert b"card-answer" not in anonymous.content
    learner = user_client.post(PREVIEW, {"answer": "x"})
    assert learner.status_code == 302 and "/admin/login/" in learner["Location"]


def test_staff_without_card_permissions_are_refused(make_user):
    editorless = make_user(is_staff=True)
    client = Client()
    client.force_login(editorless)
    assert client.post(PREVIEW, {"answer": "x"}).status_code == 403


def test_preview_without_csrf_token_is_refused(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert client.post(PREVIEW, {"answer": "x"}).status_code == 403
    client.get(reverse("admin:quiz_card_add"))
    token = client.cookies["csrftoken"].value
    assert client.post(PREVIEW, {"answer": "x", "csrfmiddlewaretoken": token}).status_code == 200


def test_a_side_past_the_renderers_limits_is_explained_inline(staff_client):
    at_limit = staff_client.post(PREVIEW, {"answer": "x" * rendering.MAX_CHARS})
    assert at_limit.status_code == 200 and "cannot be shown" not in at_limit.content.decode()
    response = staff_client.post(PREVIEW, {"answer": "x" * (rendering.MAX_CHARS + 1)})
    assert response.status_code == 200
    assert (
        '<p class="errornote markdown-preview-problem" role="alert">This cannot be shown: '
        f"{rendering.MAX_CHARS + 1:,} characters; the most a card side may have is {rendering.MAX_CHARS:,}</p>"
    ) == response.content.decode()
    deep = staff_client.post(PREVIEW, {"answer": "> " * (rendering.MAX_NESTING_DEPTH + 1) + "x"})
    assert "This cannot be shown: line 1: lists or quotes nested" in deep.content.decode()


def test_change_form_has_the_editor_beside_a_rendered_preview(staff_client, seed_deck):
    card = seed_deck.cards.get(position=6)
    response = staff_client.get(reverse("admin:quiz_card_change", args=[card.pk]))
    html = response.content.decode()
    assert f'hx-post="{PREVIEW}"' in html
    assert 'hx-params="csrfmiddlewaretoken,answer"' in html
    assert 'id="id_answer-preview"' in html and 'id="id_question-preview"' in html
    assert 'aria-describedby="id_answer_helptext id_answer-preview-label"' in html
    for textarea in re.findall(r"<textarea[^>]*>", html):
        assert textarea.count("aria-describedby=") == 1
    # The pane starts with the current rendering, so it is right before any typing.
    assert card.answer_html[:200] in html
    for asset in ("css/admin-editor.css", "js/admin-editor.js", "django_htmx/htmx-2.min.js", "vendor/katex/katex.min.js", "css/pygments.css", "css/card.css"):
        assert asset in html
    assert '"allowEval": false' in html


def test_preview_query_count(staff_client, django_assert_num_queries):
    with django_assert_num_queries(2):  # session, user
        staff_client.post(PREVIEW, {"answer": "**plain**"})
    with django_assert_num_queries(3):  # and the images it names
        staff_client.post(PREVIEW, {"answer": "![a](a.png) ![b](b.png)"})
