import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "ada",
    "email": "ada@example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "time_zone": "Europe/Paris",
}


def test_signup_signs_the_new_user_in_with_the_browser_time_zone(client):
    response = client.post(reverse("signup"), SIGNUP, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert response.context["user"].username == "ada"
    user = User.objects.get(username="ada")
    assert user.time_zone == "Europe/Paris"
    assert (user.day_starts_at, user.new_cards_per_day, user.max_reviews_per_day) == (4, 20, 200)
    assert "Welcome, ada" in response.content.decode()


def test_signup_falls_back_to_utc_for_an_unknown_browser_zone(client):
    client.post(reverse("signup"), {**SIGNUP, "time_zone": "Mars/Olympus"})
    assert User.objects.get(username="ada").time_zone == "UTC"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password2": "something else entirely"}, "The two password fields didn’t match."),
        ({"password1": "password", "password2": "password"}, "This password is too common."),
        ({"password1": "12345678901", "password2": "12345678901"}, "This password is entirely numeric."),
        ({"username": ""}, "This field is required."),
    ],
)
def test_signup_rejects_bad_input_with_a_clear_message(client, change, message):
    response = client.post(reverse("signup"), {**SIGNUP, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="ada").exists()


def test_signup_rejects_a_taken_username(client, user):
    response = client.post(reverse("signup"), {**SIGNUP, "username": user.username})
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_login_and_logout(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("settings")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("settings")).status_code == 302


def test_wrong_password_is_refused(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_by_get_is_refused(user_client):
    assert user_client.get(reverse("logout")).status_code == 405
    assert user_client.get(reverse("settings")).status_code == 200  # still signed in


@pytest.mark.parametrize("name", ["home", "signup", "login", "password_reset", "healthz"])
def test_public_pages_open_to_visitors(client, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/accounts/settings/", "/accounts/password/change/", "/review/", "/decks/", "/admin/"],
)
def test_private_pages_require_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_post_without_csrf_token_is_forbidden(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("settings"), {"time_zone": "UTC"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.time_zone == "UTC"


def test_settings_save(user_client, user):
    response = user_client.post(
        reverse("settings"),
        {
            "email": "new@example.com",
            "time_zone": "America/New_York",
            "day_starts_at": 6,
            "new_cards_per_day": 5,
            "max_reviews_per_day": 50,
            "grade_buttons": "four",
        },
        follow=True,
    )
    assert "Your settings are saved." in response.content.decode()
    user.refresh_from_db()
    assert (user.time_zone, user.day_starts_at, user.new_cards_per_day, user.max_reviews_per_day) == (
        "America/New_York",
        6,
        5,
        50,
    )
    assert user.grade_buttons == "four"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Atlantis/Capital"}, "is not a known time zone"),
        ({"new_cards_per_day": -1}, "Ensure this value is greater than or equal to 0."),
        ({"max_reviews_per_day": -5}, "Ensure this value is greater than or equal to 0."),
        ({"day_starts_at": 24}, "Ensure this value is less than or equal to 23."),
    ],
)
def test_settings_reject_invalid_values_clearly(user_client, user, change, message):
    data = {
        "email": user.email,
        "time_zone": "UTC",
        "day_starts_at": 4,
        "new_cards_per_day": 20,
        "max_reviews_per_day": 200,
        "grade_buttons": "six",
        **change,
    }
    response = user_client.post(reverse("settings"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert (user.time_zone, user.new_cards_per_day, user.max_reviews_per_day) == ("UTC", 20, 200)


def test_password_change(user_client, user):
    response = user_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "a new long passphrase", "new_password2": "a new long passphrase"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a new long passphrase")


def test_password_reset_emails_a_working_link(client, user):
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/" in line)
    path = link[link.index("/accounts/") :].strip()
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "brand new passphrase", "new_password2": "brand new passphrase"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand new passphrase")


@pytest.mark.parametrize(
    ("local_time", "expected_day"),
    [
        (dt.datetime(2026, 3, 10, 2, 0), dt.date(2026, 3, 9)),  # before the 04:00 rollover
        (dt.datetime(2026, 3, 10, 4, 0), dt.date(2026, 3, 10)),
        (dt.datetime(2026, 3, 10, 23, 59), dt.date(2026, 3, 10)),
    ],
)
def test_review_day_turns_over_at_the_users_hour_in_their_zone(make_user, local_time, expected_day):
    user = make_user(time_zone="Asia/Tokyo", day_starts_at=4)
    moment = local_time.replace(tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert user.review_day(moment) == expected_day


def test_repeated_failed_logins_lock_the_account_out_with_a_clear_message(client, user):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
        assert "Please enter a correct username and password" in response.content.decode()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200  # even the right password is refused now
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_clears_the_account_count(client, user):
    for _ in range(4):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302


def test_one_address_guessing_many_accounts_is_locked_out(client, make_user):
    users = [make_user() for _ in range(5)]
    for attempt in range(20):
        client.post(reverse("login"), {"username": users[attempt % 5].username, "password": f"guess{attempt}"})
    fresh = make_user()
    response = client.post(reverse("login"), {"username": fresh.username, "password": PASSWORD})
    assert "Too many failed log-in attempts" in response.content.decode()


def test_admin_login_is_throttled_too(client, staff_user):
    for _ in range(5):
        client.post("/admin/login/", {"username": staff_user.username, "password": "wrong"})
    response = client.post("/admin/login/?next=/admin/", {"username": staff_user.username, "password": PASSWORD})
    assert "Too many failed log-in attempts" in response.content.decode()
