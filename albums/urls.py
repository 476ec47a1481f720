from django.urls import path

from albums import bulk_views, label_views, photo_views, share_views, timeline_views, views

app_name = "albums"

urlpatterns = [
    path("albums/", views.album_list, name="list"),
    path("albums/<int:album_id>/", views.album_detail, name="detail"),
    path("albums/<int:album_id>/rename/", views.album_rename, name="rename"),
    path("albums/<int:album_id>/delete/", views.album_delete, name="delete"),
    path("albums/<int:album_id>/uploads/", photo_views.upload_ticket, name="upload-ticket"),
    path("albums/<int:album_id>/changes/", photo_views.album_changes, name="changes"),
    path("albums/<int:album_id>/share/", share_views.album_share, name="share"),
    path(
        "albums/<int:album_id>/share/links/",
        share_views.share_link_create,
        name="share-link-create",
    ),
    path(
        "albums/<int:album_id>/share/links/<int:link_id>/revoke/",
        share_views.share_link_revoke,
        name="share-link-revoke",
    ),
    path("albums/<int:album_id>/share/people/", share_views.album_share_add, name="share-add"),
    path(
        "albums/<int:album_id>/share/people/<int:share_id>/remove/",
        share_views.album_share_remove,
        name="share-remove",
    ),
    path("shared/albums/<int:album_id>/", share_views.shared_album, name="shared-album"),
    path(
        "shared/albums/<int:album_id>/photos/<uuid:photo_id>/",
        share_views.shared_photo,
        name="shared-photo",
    ),
    # A secret link: no login. The token is 43 URL-safe characters; anything else is a 404.
    path("s/<str:token>/", share_views.link_gallery, name="link-gallery"),
    path("s/<str:token>/photos/<uuid:photo_id>/", share_views.link_photo, name="link-photo"),
    path(
        "s/<str:token>/photos/<uuid:photo_id>/original/",
        share_views.link_original,
        name="link-original",
    ),
    path("albums/<int:album_id>/photos/delete/", bulk_views.photos_delete, name="bulk-delete"),
    path("albums/<int:album_id>/photos/move/", bulk_views.photos_move, name="bulk-move"),
    path(
        "albums/<int:album_id>/photos/download/", bulk_views.photos_download, name="bulk-download"
    ),
    path("search/", views.photo_search, name="search"),
    path("timeline/", timeline_views.timeline, name="timeline"),
    path("photos/<uuid:photo_id>/", photo_views.photo_detail, name="photo"),
    path("photos/<uuid:photo_id>/labels/", label_views.photo_labels, name="photo-labels"),
    path("photos/<uuid:photo_id>/delete/", photo_views.photo_delete_view, name="photo-delete"),
    path("photos/<uuid:photo_id>/execution/", photo_views.photo_execution, name="execution"),
]
