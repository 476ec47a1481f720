"""Albums and photos as the web app stores them; pipeline results join with the processing work."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone

from albums.columns import column_text, storable_text
from albums.ordering import ALBUM_SORT_INDEXES, TIMELINE, AlbumSort
from albums.pipeline import Label, UploadKey, at_least

if TYPE_CHECKING:
    from accounts.models import User

ALBUM_NAME_MAX_LENGTH = 100


class AlbumQuerySet(models.QuerySet["Album"]):
    def owned_by(self, user: User) -> AlbumQuerySet:
        return self.filter(owner=user)

    def shared_with(self, user: User) -> AlbumQuerySet:
        """Albums another account shared with ``user`` by e-mail (view only)."""
        return self.filter(account_shares__recipient=user)

    def with_photo_stats(self) -> AlbumQuerySet:
        """Adds ``photo_count``, ``last_change`` (the album's own edit or its newest photo) and
        ``cover_thumbnails`` (the thumbnails of its newest finished photo, for the cover)."""
        newest_done = (
            Photo.objects.filter(album=models.OuterRef("pk"), status=Photo.Status.SUCCEEDED)
            .order_by("-created_at")
            .values("thumbnails")[:1]
        )
        return self.annotate(
            photo_count=models.Count("photos"),
            last_change=Greatest(
                "updated_at", Coalesce(models.Max("photos__updated_at"), "updated_at")
            ),
            cover_thumbnails=models.Subquery(newest_done, output_field=models.JSONField()),
        )


class Album(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums"
    )
    name = models.CharField(max_length=ALBUM_NAME_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The album's change counter: every change to one of its photos takes the next number (under
    # this row's lock), so "what changed since N" is exact and in commit order on any database,
    # whatever the web servers' clocks say.
    change_seq = models.BigIntegerField(default=0)

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


class PhotoQuerySet(models.QuerySet["Photo"]):
    def owned_by(self, user: User) -> PhotoQuerySet:
        return self.filter(album__owner=user)

    def in_album(self, album: Album) -> PhotoQuerySet:
        return self.filter(album=album)

    def finished(self) -> PhotoQuerySet:
        """Done photos: the only ones a share shows (they have their thumbnails)."""
        return self.filter(status=Photo.Status.SUCCEEDED)

    def newest_first(self) -> PhotoQuerySet:
        """The gallery's and the search's order; the pk settles photos of the same instant."""
        return self.order_by("-created_at", "-pk")

    def sorted_by(self, sort: AlbumSort) -> PhotoQuerySet:
        """An album's photos in one of the orders people choose (albums.ordering)."""
        return self.order_by(*sort.order_by())

    def in_timeline_of(self, user: User) -> PhotoQuerySet:
        """``user``'s done photos across their albums, by the (timeline_owner, timeline_at)
        index: only done photos have a timeline owner (see Photo.timeline_at)."""
        return self.filter(timeline_owner=user)

    def timeline_order(self) -> PhotoQuerySet:
        return self.order_by(*TIMELINE.order_by())

    def still_open(self) -> PhotoQuerySet:
        """Photos whose outcome the results store may still change (see albums.outcomes)."""
        return self.filter(status__in=Photo.OPEN_STATUSES)

    def changed_after(self, change_seq: int) -> PhotoQuerySet:
        """The change feed: photos stamped after ``change_seq``, in change order."""
        return self.filter(change_seq__gt=change_seq).order_by("change_seq")

    def labelled(self, query: str, *, owner: User) -> PhotoQuerySet:
        """``owner``'s photos with a label, or a label's parent, named ``query`` (any case,
        singular or plural): "Animal" finds the photo labelled Dog, whose parents are Pet,
        Mammal, Animal. A term carries its photo's owner and the owner leads the label index,
        so only their labels are read. (Joining the albums to check the owner again made
        PostgreSQL's planner expect 10 rows where there were 49,060.)"""
        matching = PhotoLabel.objects.filter(owner=owner, term_key__in=search_keys(query))
        return self.filter(pk__in=matching.values("photo_id"))


_IRREGULAR_PLURALS = {"people": "person", "men": "man", "women": "woman", "children": "child"}


def term_key(term: str) -> str:
    """How a label's name is indexed and a search looks it up: casefolded, blanks folded, cut
    to the column (casefolding can lengthen: "ß" is "ss")."""
    return column_text(PhotoLabel, "term_key", " ".join(storable_text(term).split()).casefold())


def search_keys(query: str) -> list[str]:
    """The term keys a search matches: the words as typed, and "dogs" also as "dog"."""
    key = term_key(query)
    keys = [key] if key else []
    if key in _IRREGULAR_PLURALS:
        keys.append(_IRREGULAR_PLURALS[key])
    if len(key) > 3 and key.endswith("es"):
        keys.append(key[:-2])
    if len(key) > 2 and key.endswith("s") and not key.endswith("ss"):
        keys.append(key[:-1])
    return keys


class Photo(models.Model):
    """One uploaded file. Its id is also its object key's stem, so it is a UUID, never guessable."""

    class Status(models.TextChoices):
        UPLOADING = "UPLOADING", "Uploading"
        PROCESSING = "PROCESSING", "Processing"
        SUCCEEDED = "SUCCEEDED", "Done"
        REJECTED = "REJECTED", "Rejected"
        FAILED = "FAILED", "Failed"
        # The ticket expired and the original is not in storage. Final for the page, but not for
        # the truth: a result that arrives later (a very slow upload) is still applied.
        INTERRUPTED = "INTERRUPTED", "Upload interrupted"

    FINAL_STATUSES = (Status.SUCCEEDED, Status.REJECTED, Status.FAILED, Status.INTERRUPTED)
    PENDING_STATUSES = (Status.UPLOADING, Status.PROCESSING)
    # Photos whose outcome the results store may still change (see albums.outcomes).
    OPEN_STATUSES = (Status.UPLOADING, Status.PROCESSING, Status.INTERRUPTED)
    # What the page shows only ever moves up this scale, whatever order responses arrive in.
    RANKS: ClassVar[dict[str, int]] = {
        Status.UPLOADING: 0,
        Status.PROCESSING: 1,
        Status.INTERRUPTED: 2,
        Status.SUCCEEDED: 3,
        Status.REJECTED: 3,
        Status.FAILED: 3,
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="photos")
    # The album the original was uploaded into, once the photo has moved out of it: its object
    # key names that album (processing.keys.UploadKey) and stays where it was stored, since a
    # move changes the row, never storage. None while the photo is still in that album.
    upload_album_id = models.BigIntegerField(null=True, blank=True)
    original_filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=32, default="image/jpeg")
    extension = models.CharField(max_length=8, default="jpg")
    upload_size = models.PositiveBigIntegerField(default=0)  # as announced by the browser
    # The file's SHA-256 as the browser computed it: re-dropping a camera roll skips what the
    # album has. Trusted only for that: a wrong hash can only hide the sender's own duplicate.
    sha256 = models.CharField(max_length=64, blank=True)
    ticket_issued_at = models.DateTimeField(default=timezone.now)  # the newest ticket's start
    resubmitted_at = models.DateTimeField(null=True, blank=True)  # the newest S3 event replayed
    change_seq = models.BigIntegerField(default=0)  # Album.change_seq when it last changed
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADING)
    status_message = models.CharField(max_length=300, blank=True)
    rejection_reason = models.CharField(max_length=32, blank=True)
    execution_arn = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A rejected photo's original is deleted after PHOTOSHARE_REJECTED_RETENTION_DAYS
    # (manage.py purge_rejected); the photo and its reason stay.
    original_purged_at = models.DateTimeField(null=True, blank=True)

    # Final results, copied from the results store so that listing and sorting are SQL.
    format = models.CharField(max_length=8, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    display_width = models.PositiveIntegerField(null=True, blank=True)
    display_height = models.PositiveIntegerField(null=True, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)  # for sorting: UTC where known
    taken_at_local = models.CharField(max_length=32, blank=True)  # as the camera wrote it
    camera_make = models.CharField(max_length=100, blank=True)
    camera_model = models.CharField(max_length=100, blank=True)
    lens = models.CharField(max_length=100, blank=True)
    f_number = models.FloatField(null=True, blank=True)
    exposure_time = models.FloatField(null=True, blank=True)
    iso = models.PositiveIntegerField(null=True, blank=True)
    focal_length = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    altitude = models.FloatField(null=True, blank=True)
    thumbnails = models.JSONField(default=list, blank=True)  # [{size, key, width, height, ...}]
    # The timeline's key, set when the photo is done (albums.outcomes) and null before: when it
    # was taken, or uploaded when the file does not say. Stored, with the owner copied from the
    # album (a photo never changes hands), so that one index serves "alice's photos, newest
    # first" across her albums, at any depth (keyset pagination; see albums.timeline).
    timeline_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    timeline_at = models.DateTimeField(null=True, blank=True)
    # Rekognition-shaped labels, most confident first, for showing; PhotoLabel is for searching.
    labels = models.JSONField(default=list, blank=True)

    objects: ClassVar[PhotoQuerySet] = PhotoQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at",)
        indexes = (
            models.Index(fields=("album", "-created_at"), name="photo_album_newest"),
            models.Index(fields=("status",), name="photo_status"),
            models.Index(fields=("album", "change_seq"), name="photo_album_changes"),
            models.Index(fields=("album", "sha256"), name="photo_album_sha256"),
            # The album's counts and its open photos (each look of a waiting page): an
            # index-only scan over the album's statuses instead of a visit to every photo row.
            models.Index(fields=("album", "status"), name="photo_album_status"),
            # An album's pages under each sort people choose (albums.ordering).
            *ALBUM_SORT_INDEXES,
            # The timeline and its month index: only done photos, the owner's, in their order.
            models.Index(
                fields=("timeline_owner", "-timeline_at", "-id"),
                name="photo_timeline",
                condition=models.Q(timeline_owner__isnull=False),
            ),
        )

    def __str__(self) -> str:
        return self.original_filename

    @property
    def upload_key(self) -> UploadKey:
        stored_in = self.upload_album_id or self.album_id
        return UploadKey(str(self.album.owner_id), str(stored_in), str(self.id), self.extension)

    @property
    def original_key(self) -> str:
        return str(self.upload_key)

    @property
    def has_original(self) -> bool:
        """False once the original was purged: nothing may link to it any more."""
        return self.original_purged_at is None

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def rank(self) -> int:
        return self.RANKS[self.status]

    @property
    def recognized_labels(self) -> list[Label]:
        """``labels`` read through their schema's owner, most confident first, less anything
        under the pipeline's minimum confidence (stored before the local recognizer applied it)."""
        floor = settings.PHOTOSHARE_PIPELINE.min_confidence
        return at_least((Label.from_item(item) for item in self.labels), floor)

    def place_in_timeline(self) -> None:
        """A done photo joins its owner's timeline at the time it was taken, or uploaded."""
        self.timeline_owner_id = self.album.owner_id
        self.timeline_at = self.taken_at or self.created_at

    def thumbnail(self, size: int) -> dict[str, object] | None:
        return next((t for t in self.thumbnails if t.get("size") == size), None)


class PhotoLabelQuerySet(models.QuerySet["PhotoLabel"]):
    def most_frequent_for(self, user: User) -> models.QuerySet[PhotoLabel, dict[str, Any]]:
        """The user's labels (not parents) by how many photos have them: search suggestions.
        A term is indexed once per photo, so its rows are its photos; counting rows lets the
        (owner, is_parent, term) index answer alone."""
        return (
            self.filter(owner=user, is_parent=False)
            .values("term")
            .annotate(photos=models.Count("*"))
            .order_by("-photos", "term")
        )


class PhotoLabel(models.Model):
    """One searchable term of a photo: each label's name and each of its parents, so a search is
    one indexed equality, not a scan of JSON."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="label_terms")
    # The photo's owner, copied (a photo never changes hands): search and suggestions read the
    # user's own labels by index, where an index led by the term reads every user's "dog".
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    term = models.CharField(max_length=100)  # as shown: "German Shepherd", "Animal"
    term_key = models.CharField(max_length=100)  # casefolded, for matching
    confidence = models.FloatField()  # of the label (for a parent: its most confident child)
    is_parent = models.BooleanField(default=False)

    objects: ClassVar[PhotoLabelQuerySet] = PhotoLabelQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = (
            models.UniqueConstraint("photo", "term_key", name="photo_label_term_unique"),
        )
        indexes = (
            models.Index(fields=("owner", "term_key"), name="photo_label_owner_term"),
            models.Index(fields=("owner", "is_parent", "term"), name="photo_label_owner_terms"),
        )

    def __str__(self) -> str:
        return self.term


class LabelCorrection(models.Model):
    """The owner's word on one of a photo's labels, kept apart from what the recognizer said
    (``Photo.labels`` stays the model's answer, which the accuracy command measures): a
    recognizer label they removed, or a tag of their own. At most one per name and photo, so
    tagging a removed label's name puts it back (albums.corrections)."""

    class Kind(models.TextChoices):
        REMOVED = "removed", "Removed label"
        ADDED = "added", "Own tag"

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="label_corrections")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=100)  # the recognizer's name, or the tag as normalised
    term_key = models.CharField(max_length=100)  # albums.models.term_key of the name
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "pk")
        constraints = (
            models.UniqueConstraint("photo", "term_key", name="label_correction_unique_term"),
        )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


# 32 bytes: 256 random bits, twice the minimum, 43 URL-safe characters.
SHARE_TOKEN_BYTES = 32


def share_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def active(self, now: datetime | None = None) -> ShareLinkQuerySet:
        """Neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )

    def for_token(self, token: str) -> ShareLinkQuerySet:
        """The link with this token, by exact lookup of its digest (the token is not stored)."""
        return self.filter(token_digest=share_token_digest(token))


class ShareLink(models.Model):
    """A secret link to a read-only view of an album, for anyone who has it.

    Only the SHA-256 of the token is stored, not the token: the database (its backups, replicas,
    an admin's screen) then holds nothing that opens an album, and a leaked row is no link. The
    price is that the owner can copy a link only when it is made; a lost link is revoked and
    replaced. The token has 256 random bits, so an unsalted fast hash is as strong as the token.
    """

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="share_links")
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    allow_download_original = models.BooleanField(default=False)
    # Only with allow_download_original: originals are served with their GPS unless this is set.
    keep_gps_in_originals = models.BooleanField(default=False)

    objects: ClassVar[ShareLinkQuerySet] = ShareLinkQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"Share link {self.pk} of {self.album_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(SHARE_TOKEN_BYTES)

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        expired = self.expires_at is not None and self.expires_at <= now
        return self.revoked_at is None and not expired

    @property
    def serves_gps(self) -> bool:
        return self.allow_download_original and self.keep_gps_in_originals


class AlbumShare(models.Model):
    """An album shared with another account, by its e-mail address: view only."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="account_shares")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums_shared_with_me"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "pk")
        constraints = (
            models.UniqueConstraint("album", "recipient", name="album_share_unique_recipient"),
        )

    def __str__(self) -> str:
        return f"{self.album_id} shared with {self.recipient_id}"
