from django.urls import path, re_path

from quiz import images, views
from quiz.rendering import IMAGE_URL_PREFIX

urlpatterns = [
    path("", views.home, name="home"),
    path("decks/", views.deck_list, name="deck_list"),
    path("decks/<slug:slug>/", views.deck_detail, name="deck_detail"),
    path("decks/<slug:slug>/export.md", views.deck_export, name="deck_export"),
    path("decks/<slug:slug>/reset/", views.reset_deck, name="reset_deck"),
    path("decks/<slug:slug>/anki.apkg", views.deck_apkg, name="deck_apkg"),
    path("cards/", views.card_browser, name="card_browser"),
    path("cards/bulk/", views.card_bulk, name="card_bulk"),
    path("cards/<int:card_id>/", views.card_detail, name="card_detail"),
    path("stats/", views.stats_view, name="stats"),
    path("study/", views.study, name="study"),
    path("study/start/", views.study_start, name="study_start"),
    path("study/<int:session_id>/", views.study_session, name="study_session"),
    path("study/<int:session_id>/answer/", views.study_flip, name="study_flip"),
    path("study/<int:session_id>/grade/", views.study_grade, name="study_grade"),
    # Only names an image can have reach the view: PostgreSQL refuses a NUL in a query.
    re_path(rf"^{IMAGE_URL_PREFIX.strip('/')}/(?P<name>{images.NAME_RE.pattern})\Z", views.image, name="image"),
    path("review/", views.review, name="review"),
    path("review/grade/", views.grade, name="review_grade"),
    path("review/undo/", views.undo, name="review_undo"),
    path("review/hide/", views.hide, name="review_hide"),
    path("review/cards/<int:card_id>/answer/", views.flip, name="review_flip"),
    path("review/<slug:slug>/", views.review, name="review_deck"),
]
