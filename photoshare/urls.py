from django.contrib import admin
from django.urls import include, path

from photoshare import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("albums/", include("albums.urls")),
    path("admin/", admin.site.urls),
]
