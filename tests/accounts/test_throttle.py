"""Login throttling per (account, address) and per address: a guesser
elsewhere cannot lock the owner out, and one address cannot try many accounts."""

import datetime as dt
import ipaddress

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import throttle
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"
PAUSED_FOR_ACCOUNT = "Too many failed log-in attempts for this account from your network"
PAUSED_FOR_NETWORK = "Too many failed log-in attempts from your network"
LOGIN_URLS = {"site": "/accounts/login/", "admin": "/admin/login/?next=/admin/"}


def attempt(url: str, username: str, password: str, address: str, **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(url, {"username": username, "password": password})
    return response, "_auth_user_id" in client.session


def fail(url: str, username: str, address: str, times: int) -> None:
    for n in range(times):
        response, signed_in = attempt(url, username, f"wrong {n}", address)
        assert not signed_in and "correct username and password" in response.content.decode()


@pytest.fixture
def person(make_user):
    return make_user(is_staff=True, is_superuser=True)  # staff, so the admin login accepts them too


@pytest.mark.parametrize("side", ["site", "admin"])
def test_four_failures_from_an_address_still_let_the_right_password_in(person, side):
    fail(LOGIN_URLS[side], person.username, ATTACKER, throttle.ACCOUNT_ADDRESS_LIMIT - 1)
    assert attempt(LOGIN_URLS[side], person.username, PASSWORD, ATTACKER)[1]


@pytest.mark.parametrize("side", ["site", "admin"])
def test_five_failures_pause_that_account_from_that_address_only(person, side):
    url = LOGIN_URLS[side]
    fail(url, person.username, ATTACKER, throttle.ACCOUNT_ADDRESS_LIMIT)

    response, signed_in = attempt(url, person.username, PASSWORD, ATTACKER)
    page = response.content.decode()
    assert not signed_in and PAUSED_FOR_ACCOUNT in page
    assert "paused for 15 minutes" in page and "try again in 15 minutes" in page
    # The owner, on another network, is not locked out by the guesser.
    assert attempt(url, person.username, PASSWORD, OWNER)[1]
    # Different capitalisation or spaces are the same account.
    assert not attempt(url, f" {person.username.upper()} ", PASSWORD, ATTACKER)[1]


def test_the_pause_lasts_fifteen_minutes_from_the_first_failure(person):
    url = LOGIN_URLS["site"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail(url, person.username, ATTACKER, throttle.ACCOUNT_ADDRESS_LIMIT - 1)
        clock.move_to(start + dt.timedelta(minutes=10))
        fail(url, person.username, ATTACKER, 1)  # the fifth, ten minutes in
        response, signed_in = attempt(url, person.username, PASSWORD, ATTACKER)
        assert not signed_in and "try again in 5 minutes" in response.content.decode()
        clock.move_to(start + dt.timedelta(minutes=14, seconds=59))
        response, signed_in = attempt(url, person.username, PASSWORD, ATTACKER)
        assert not signed_in and "try again in 1 minute." in response.content.decode()
        clock.move_to(start + dt.timedelta(minutes=15, seconds=1))
        assert attempt(url, person.username, PASSWORD, ATTACKER)[1]


@pytest.mark.parametrize("side", ["site", "admin"])
def test_one_address_cannot_try_many_accounts(make_user, person, side):
    url = LOGIN_URLS[side]
    targets = [make_user() for _ in range(throttle.ADDRESS_LIMIT)]
    for target in targets[:-1]:
        fail(url, target.username, ATTACKER, 1)
    # One failure short of the limit: the address may still log in.
    assert attempt(url, person.username, PASSWORD, ATTACKER)[1]

    fail(url, targets[-1].username, ATTACKER, 1)
    response, signed_in = attempt(url, person.username, PASSWORD, ATTACKER)
    page = response.content.decode()
    assert not signed_in and PAUSED_FOR_NETWORK in page and "any account from your network" in page
    assert "paused for 15 minutes" in page
    assert attempt(url, person.username, PASSWORD, OWNER)[1]


def test_a_right_password_forgives_the_account_but_not_the_address(make_user, person):
    url = LOGIN_URLS["site"]
    for target in [make_user() for _ in range(throttle.ADDRESS_LIMIT - throttle.ACCOUNT_ADDRESS_LIMIT)]:
        fail(url, target.username, ATTACKER, 1)
    fail(url, person.username, ATTACKER, throttle.ACCOUNT_ADDRESS_LIMIT - 1)
    assert attempt(url, person.username, PASSWORD, ATTACKER)[1]
    fail(url, person.username, ATTACKER, 1)  # the address's 20th failure
    response, signed_in = attempt(url, person.username, PASSWORD, ATTACKER)
    assert not signed_in and PAUSED_FOR_NETWORK in response.content.decode()


def test_an_ipv6_client_counts_by_its_64_block(person):
    url = LOGIN_URLS["site"]
    fail(url, person.username, "2001:db8:1:2::1", throttle.ACCOUNT_ADDRESS_LIMIT)
    assert not attempt(url, person.username, PASSWORD, "2001:db8:1:2:ffff::9")[1]
    assert attempt(url, person.username, PASSWORD, "2001:db8:1:3::1")[1]


BALANCER = "10.0.0.5"


@pytest.mark.parametrize("side", ["site", "admin"])
def test_behind_a_trusted_balancer_each_client_counts_by_its_own_address(person, side, settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
    url = LOGIN_URLS[side]
    for n in range(throttle.ACCOUNT_ADDRESS_LIMIT):
        attempt(url, person.username, f"wrong {n}", BALANCER, headers={"x-forwarded-for": f"{ATTACKER}, 10.0.0.9"})
    # Every request comes from the balancer, yet the owner's address is not paused.
    assert attempt(url, person.username, PASSWORD, BALANCER, headers={"x-forwarded-for": OWNER})[1]
    response, signed_in = attempt(url, person.username, PASSWORD, BALANCER, headers={"x-forwarded-for": ATTACKER})
    assert not signed_in and PAUSED_FOR_ACCOUNT in response.content.decode()


def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(person, settings):
    url = LOGIN_URLS["site"]
    settings.TRUSTED_PROXIES = [ipaddress.ip_network(BALANCER)]
    # Not from the balancer: a client's own header changes nothing.
    for n in range(throttle.ACCOUNT_ADDRESS_LIMIT):
        attempt(url, person.username, f"wrong {n}", ATTACKER, headers={"x-forwarded-for": f"192.0.2.{n}"})
    assert not attempt(url, person.username, PASSWORD, ATTACKER, headers={"x-forwarded-for": OWNER})[1]
    # Through the balancer, only the hop it appended counts, not what the client wrote before it.
    for n in range(throttle.ACCOUNT_ADDRESS_LIMIT):
        attempt(url, person.username, f"wrong {n}", BALANCER, headers={"x-forwarded-for": f"192.0.2.{n}, {OWNER}"})
    assert not attempt(url, person.username, PASSWORD, BALANCER, headers={"x-forwarded-for": f"192.0.2.99, {OWNER}"})[1]


@pytest.mark.parametrize(("remote", "forwarded", "client"), [
    ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
    ("10.0.0.5", "198.51.100.1, 203.0.113.7, 10.0.0.8", "203.0.113.7"),
    ("10.0.0.5", "", "10.0.0.5"),
    ("10.0.0.5", "not-an-address", "10.0.0.5"),
    ("10.0.0.5", "10.0.0.7, 10.0.0.8", "10.0.0.7"),
    ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
    ("10.0.0.5", "2001:db8:1:2::1", "2001:db8:1:2::/64"),
])
def test_client_address_reads_forwarded_hops_only_through_trusted_proxies(rf, settings, remote, forwarded, client):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert throttle.client_address(request) == client


def test_the_login_page_says_what_pauses_and_for_how_long(client):
    page = client.get(LOGIN_URLS["site"]).content.decode()
    assert (
        "After 5 failed attempts for one account from your network, logging in to that account "
        "from your network pauses for 15 minutes; after 20 from your network, for any account."
    ) in page


RESET_URL = "/accounts/password/reset/"


def ask_reset(email: str, address: str):
    return Client(REMOTE_ADDR=address).post(RESET_URL, {"email": email})


def test_reset_mails_for_one_address_stop_at_the_limit_from_anywhere(person, mailoutbox):
    for n in range(throttle.RESET_EMAIL_LIMIT):
        assert ask_reset(person.email, f"192.0.2.{n}").status_code == 302
    assert len(mailoutbox) == throttle.RESET_EMAIL_LIMIT
    response = ask_reset(person.email.upper(), "192.0.2.200")
    assert response.status_code == 200
    assert f"asked for this address {throttle.RESET_EMAIL_LIMIT} times in 15 minutes" in response.content.decode()
    assert len(mailoutbox) == throttle.RESET_EMAIL_LIMIT


def test_one_network_cannot_ask_resets_for_many_addresses(make_user, mailoutbox):
    for n in range(throttle.RESET_ADDRESS_LIMIT):
        assert ask_reset(f"nobody{n}@example.com", ATTACKER).status_code == 302
    victim = make_user()
    response = ask_reset(victim.email, ATTACKER)
    assert "Too many reset links asked for from your network" in response.content.decode()
    assert mailoutbox == []
    assert ask_reset(victim.email, OWNER).status_code == 302 and len(mailoutbox) == 1
