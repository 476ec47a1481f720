from django.urls import path

from accounts import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/delete/", views.account_delete, name="account_delete"),
]
