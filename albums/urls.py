from django.urls import path

from albums import views

app_name = "albums"

urlpatterns = [
    path("", views.album_list, name="list"),
    path("<int:album_id>/", views.album_detail, name="detail"),
    path("<int:album_id>/rename/", views.album_rename, name="rename"),
    path("<int:album_id>/delete/", views.album_delete, name="delete"),
]
