from django.contrib import admin

from albums.models import Album, AlbumShare, Photo, ShareLink


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "created_at", "updated_at")
    search_fields = ("name", "owner__email")
    raw_id_fields = ("owner",)


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ("original_filename", "album", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("album", "timeline_owner")  # a select of every user would load them all


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    # The token is not stored; its digest opens nothing, so the admin shows only the settings.
    list_display = ("album", "created_at", "expires_at", "revoked_at", "allow_download_original")
    exclude = ("token_digest",)
    raw_id_fields = ("album",)


@admin.register(AlbumShare)
class AlbumShareAdmin(admin.ModelAdmin):
    list_display = ("album", "recipient", "created_at")
    raw_id_fields = ("album", "recipient")
