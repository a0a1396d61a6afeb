"""Security properties read off real responses, and who may open what."""

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from quiz import services
from quiz.models import StudySession

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DEBUG": False,
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


def test_production_headers_and_cookies(user):
    with override_settings(**PRODUCTION):
        client = Client()  # built after the override: middleware reads settings at start-up
        insecure = client.get("/accounts/login/")
        assert insecure.status_code == 301 and insecure["Location"].startswith("https://")
        assert client.get("/healthz").status_code == 200  # load balancers probe over plain HTTP

        response = client.get("/accounts/login/", secure=True)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        policy = response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "Strict-Transport-Security" not in response  # opt-in

        csrf_cookie = response.cookies["csrftoken"]
        assert csrf_cookie["secure"]
        response = client.post(
            "/accounts/login/",
            {"username": user.username, "password": "correct horse battery staple", "csrfmiddlewaretoken": csrf_cookie.value},
            secure=True,
            headers={"Referer": "https://testserver/accounts/login/"},
        )
        session_cookie = response.cookies["sessionid"]
        assert session_cookie["secure"] and session_cookie["httponly"]
        assert session_cookie["samesite"] == "Lax"


def test_hsts_when_configured():
    with override_settings(**PRODUCTION, SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True):
        response = Client().get("/accounts/login/", secure=True)
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# Authorisation matrix ------------------------------------------------------------------------

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
# Every named URL the app serves, with the status each kind of visitor gets
# for a GET: (anonymous, another user, the owner, staff). A URL missing here
# fails test_every_url_has_a_decided_policy.
POLICY = {
    "home": (200, 200, 200, 200),
    "healthz": (200, 200, 200, 200),
    "favicon": (301, 301, 301, 301),
    "web_manifest": (200, 200, 200, 200),
    "signup": (200, 302, 302, 302),
    "login": (200, 302, 302, 302),
    "logout": (LOGIN, 405, 405, 405),
    "settings": (LOGIN, 200, 200, 200),
    "export_data": (LOGIN, 200, 200, 200),
    "delete_account": (LOGIN, 200, 200, 200),
    "password_change": (LOGIN, 200, 200, 200),
    "password_change_done": (LOGIN, 200, 200, 200),
    "password_reset": (200, 200, 200, 200),
    "password_reset_done": (200, 200, 200, 200),
    "password_reset_confirm": (200, 200, 200, 200),  # an invalid link page
    "password_reset_complete": (200, 200, 200, 200),
    "deck_list": (LOGIN, 200, 200, 200),
    "deck_detail": (LOGIN, 200, 200, 200),
    "deck_export": (LOGIN, 200, 200, 200),  # deck content, which every user may review
    "reset_deck": (LOGIN, 200, 200, 200),
    "card_detail": (LOGIN, 200, 200, 200),
    "card_browser": (LOGIN, 200, 200, 200),
    "card_bulk": (LOGIN, 405, 405, 405),
    "stats": (LOGIN, 200, 200, 200),
    "review": (LOGIN, 200, 200, 200),
    "review_deck": (LOGIN, 200, 200, 200),
    "review_flip": (LOGIN, 200, 200, 200),
    "review_grade": (LOGIN, 405, 405, 405),
    "review_undo": (LOGIN, 405, 405, 405),
    "review_hide": (LOGIN, 405, 405, 405),
    "study": (LOGIN, 200, 200, 200),
    "study_start": (LOGIN, 405, 405, 405),
    # A custom study session is its owner's alone, staff included.
    "study_session": (LOGIN, 404, 200, 404),
    "study_flip": (LOGIN, 404, 200, 404),
    "study_grade": (LOGIN, 405, 405, 405),
    "deck_apkg": (LOGIN, 200, 200, 200),
    "image": (LOGIN, 404, 404, 404),  # no such image; serving one is tested in tests/quiz/test_images.py
    "admin": (LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
}


def named_urls(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                names.add("admin")
                continue
            names |= named_urls(pattern, namespace)
        elif isinstance(pattern, URLPattern):
            names.add(pattern.name or pattern.lookup_str.rsplit(".", 1)[-1])
    return names


def test_every_url_has_a_decided_policy():
    assert named_urls() == set(POLICY)


@pytest.fixture
def matrix_data(make_user, seed_deck):
    owner = make_user()
    card = seed_deck.cards.get(position=1)
    services.record_review(user=owner, card_id=card.pk, grade=4, shown_version=0)
    services.start_study_session(user=owner, kind="cram", deck=seed_deck, size=5)
    return owner, card, seed_deck


def url_for(name: str, card, deck) -> str:
    arguments = {
        "deck_detail": [deck.slug],
        "deck_export": [deck.slug],
        "reset_deck": [deck.slug],
        "deck_apkg": [deck.slug],
        "review_deck": [deck.slug],
        "card_detail": [card.pk],
        "review_flip": [card.pk],
        "password_reset_confirm": ["MQ", "set-password"],
        "image": ["missing.png"],
    }
    if name == "admin":
        return "/admin/quiz/card/"
    if name == "favicon":
        return "/favicon.ico"
    if name in ("study_session", "study_flip", "study_grade"):
        return reverse(name, args=[StudySession.objects.get().pk])
    return reverse(name, args=arguments.get(name, []))


@pytest.mark.parametrize("role", ["anonymous", "other", "owner", "staff"])
def test_authorisation_matrix(client, make_user, matrix_data, role):
    owner, card, deck = matrix_data
    visitor = {"anonymous": None, "other": make_user(), "owner": owner, "staff": make_user(is_staff=True, is_superuser=True)}[role]
    column = ["anonymous", "other", "owner", "staff"].index(role)
    if visitor:
        client.force_login(visitor)
    for name, statuses in POLICY.items():
        expected = statuses[column]
        response = client.get(url_for(name, card, deck))
        if expected == LOGIN:
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), name
        elif expected == ADMIN_LOGIN:
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), name
        else:
            assert response.status_code == expected, (name, response.status_code)


def test_another_users_history_and_export_hold_none_of_the_owners_data(client, make_user, matrix_data):
    owner, card, deck = matrix_data
    client.force_login(make_user())
    page = client.get(card.get_absolute_url()).content.decode()
    assert "You have not answered this card yet." in page
    export = b"".join(client.get(reverse("export_data")).streaming_content)
    assert b'"progress": [\n]' in export and owner.username.encode() not in export
    stats_page = client.get(reverse("stats")).content.decode()
    assert "0 answers on 0 days" in stats_page


def test_posts_to_unknown_objects_are_404_for_everyone(client, make_user):
    client.force_login(make_user())
    assert client.post(reverse("review_grade"), {"card": 999999, "version": 0, "grade": 4}).status_code == 404
    assert client.post(reverse("review_hide"), {"card": 999999, "action": "bury"}).status_code == 404
    assert client.post(reverse("reset_deck", args=["nope"])).status_code == 404


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/", "/admin/login/", "/accounts/password/reset/"])
@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "utf-7"])
def test_a_form_in_another_charset_is_a_400_page_not_a_server_error(url, charset):
    # Django's default 400 view checks CSRF, which reads the unreadable body again.
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    response = client.generic("POST", url, b"username=a&password=b", content_type=f"application/x-www-form-urlencoded; charset={charset}")
    assert response.status_code == 400
    assert "must be UTF-8 encoded" in response.content.decode() and "Nothing was changed" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/quiz/reviewlog/?kind__exact=%00",
        "/admin/quiz/card/?q=a%00b",
        "/admin/autocomplete/?app_label=quiz&model_name=card&field_name=tags&term=%00",
        "/admin/quiz/reviewlog/?reviewed_at__year=1180591620717411303424",
        "/admin/quiz/reviewlog/?reviewed_at__year=2026&reviewed_at__month=99999",
        "/admin/quiz/card/1/change/?_to_field=",
    ],
)
def test_admin_parameters_the_database_cannot_take_are_a_400(staff_client, url):
    # PostgreSQL refuses a NUL; a year of many digits overflows Python's date.
    response = staff_client.get(url)
    assert response.status_code == 400


def test_admin_date_drill_down_still_works(staff_client):
    assert staff_client.get("/admin/quiz/reviewlog/?reviewed_at__year=2026&reviewed_at__month=12").status_code == 200
