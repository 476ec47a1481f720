from django.contrib import admin

from albums.models import Album, Photo


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
