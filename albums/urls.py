from django.urls import path

from albums import photo_views, timeline_views, views

app_name = "albums"

urlpatterns = [
    path("albums/", views.album_list, name="list"),
    path("albums/<int:album_id>/", views.album_detail, name="detail"),
    path("albums/<int:album_id>/rename/", views.album_rename, name="rename"),
    path("albums/<int:album_id>/delete/", views.album_delete, name="delete"),
    path("albums/<int:album_id>/uploads/", photo_views.upload_ticket, name="upload-ticket"),
    path("albums/<int:album_id>/changes/", photo_views.album_changes, name="changes"),
    path("search/", views.photo_search, name="search"),
    path("timeline/", timeline_views.timeline, name="timeline"),
    path("photos/<uuid:photo_id>/", photo_views.photo_detail, name="photo"),
    path("photos/<uuid:photo_id>/delete/", photo_views.photo_delete_view, name="photo-delete"),
    path("photos/<uuid:photo_id>/execution/", photo_views.photo_execution, name="execution"),
]
