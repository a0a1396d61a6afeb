from django.contrib import admin
from django.urls import include, path

from config import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("manifest.webmanifest", views.web_manifest, name="web_manifest"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("quiz.urls")),
]

handler400 = "config.views.bad_request"
handler500 = "config.views.server_error"
