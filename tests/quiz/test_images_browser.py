import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from quiz import images
from quiz.models import Image
from tests.quiz.test_content_browser import sign_in
from tests.quiz.test_images import picture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cards_image_loads_under_the_csp(page, live_server, settings, tmp_path, user, make_card):
    settings.MEDIA_ROOT = tmp_path
    checked = images.check_image(picture("PNG", (40, 30)))
    Image.objects.create(
        name="plot.png", file=ContentFile(checked.content, name="plot.png"), content_type=checked.content_type,
        width=checked.width, height=checked.height, size=len(checked.content),
    )
    card = make_card(answer="The plot:\n\n![A red rectangle](plot.png)")
    sign_in(page, live_server, user)
    page.goto(card.get_absolute_url())
    shown = page.get_by_role("img", name="A red rectangle")
    expect(shown).to_be_visible()
    assert shown.evaluate("el => el.complete && el.naturalWidth") == 40
