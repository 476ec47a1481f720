from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from albums import local_s3
from photoshare import views

# The admin has no login form of its own: signing in goes through allauth's, so the admin is
# behind the same rate limits (and e-mail verification) as everyone else. A signed-in user who is
# not staff gets a 403.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Before allauth's own: the same URL, saying why a login was sent here (accounts/views.py).
    path(
        "accounts/confirm-email/",
        account_views.verification_sent,
        name="account_email_verification_sent",
    ),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("albums.urls")),
    # The local runtime's bucket (see albums/local_s3.py); absent from aws deployments' traffic.
    path("local-s3/<str:bucket>/", local_s3.upload, name="local-s3-upload"),
    path("local-s3/<str:bucket>/<path:key>", local_s3.download, name="local-s3-object"),
    path("admin/", admin.site.urls),
]
