"""Albums and photos as the web app stores them; pipeline results join with the processing work."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Greatest, Lower

if TYPE_CHECKING:
    from accounts.models import User

ALBUM_NAME_MAX_LENGTH = 100


class AlbumQuerySet(models.QuerySet["Album"]):
    def owned_by(self, user: User) -> AlbumQuerySet:
        return self.filter(owner=user)

    def with_photo_stats(self) -> AlbumQuerySet:
        """Adds ``photo_count`` and ``last_change``: the album's own edit or its newest photo."""
        return self.annotate(
            photo_count=models.Count("photos"),
            last_change=Greatest(
                "updated_at", Coalesce(models.Max("photos__updated_at"), "updated_at")
            ),
        )


class Album(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums"
    )
    name = models.CharField(max_length=ALBUM_NAME_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[AlbumQuerySet] = AlbumQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-updated_at", "-pk")
        constraints = (
            models.UniqueConstraint("owner", Lower("name"), name="album_name_unique_per_owner_ci"),
        )

    def __str__(self) -> str:
        return self.name

    @property
    def cover_hue(self) -> int:
        """A stable colour for the album's cover; stepping by 47 degrees sets neighbours apart."""
        return (self.pk or 0) * 47 % 360


class Photo(models.Model):
    """One uploaded file. Its id is also its object key's stem, so it is a UUID, never guessable."""

    class Status(models.TextChoices):
        UPLOADING = "UPLOADING", "Uploading"
        PROCESSING = "PROCESSING", "Processing"
        SUCCEEDED = "SUCCEEDED", "Done"
        REJECTED = "REJECTED", "Rejected"
        FAILED = "FAILED", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="photos")
    original_filename = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = (models.Index(fields=("album", "-created_at"), name="photo_album_newest"),)

    def __str__(self) -> str:
        return self.original_filename
