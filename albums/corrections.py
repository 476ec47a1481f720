"""People's corrections to a photo's labels, and the search index that applies them.

What the recognizer said stays in ``Photo.labels`` (the accuracy command measures the model);
the owner's word is in ``LabelCorrection`` rows: a recognizer label removed, or a tag of their
own. What is shown (chips) and what search finds (``PhotoLabel``) is the recognizer's labels less
the removed ones, plus the own tags; ``index_labels`` builds that whenever either side changes,
so a re-run or a late results poll, which reindex from the new ``Photo.labels``, never brings a
removed label back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from albums.columns import column_text, storable_text
from albums.models import LabelCorrection, Photo, PhotoLabel, term_key
from albums.pipeline import Label

MAX_TAG_LENGTH = 40  # a tag is a word or a name, not a caption
MAX_OWN_TAGS = 20  # per photo: chips stay a glance, and the index stays bounded per photo
# Removals are only of labels the photo has (PHOTOSHARE_RECOGNITION_MAX_LABELS, 10), but they
# outlive re-runs that name other things; this keeps a photo's corrections bounded.
MAX_REMOVED = 50
OWN_TAG_CONFIDENCE = 100.0  # the owner's word, for the index's confidence column


class CorrectionRefused(ValueError):
    """A correction that cannot be made, in plain words for the person."""


@dataclass(frozen=True)
class PhotoLabels:
    """A photo's labels as people see them: the recognizer's that stand, those the owner
    removed (for putting back), and the owner's own tags, each in its own order."""

    shown: list[Label]
    removed: list[Label]
    tags: list[str]

    @property
    def any(self) -> bool:
        return bool(self.shown or self.tags)


def labels_of(photo: Photo) -> PhotoLabels:
    """``photo``'s labels with its corrections applied (one query, or none when prefetched)."""
    corrections = list(photo.label_corrections.all())
    removed = {c.term_key for c in corrections if c.kind == LabelCorrection.Kind.REMOVED}
    recognized = photo.recognized_labels
    return PhotoLabels(
        shown=[label for label in recognized if term_key(label.name) not in removed],
        removed=[label for label in recognized if term_key(label.name) in removed],
        tags=[c.name for c in corrections if c.kind == LabelCorrection.Kind.ADDED],
    )


def normalise_tag(text: str) -> str:
    """A tag as stored and shown: blanks folded, no control characters, at most
    MAX_TAG_LENGTH characters. The case is the person's; duplicates are found casefolded."""
    return " ".join(storable_text(text).split())[:MAX_TAG_LENGTH].strip()


def index_labels(photos: list[Photo]) -> None:
    """The searchable terms of finished photos: every label that stands and its parents, and
    the own tags, once per photo. A removed name is never a term of its photo, not even as the
    parent of a label that stands: the person said it is not there. Its parents go with it
    unless a label that stands implies them too (see docs/architecture.md)."""
    if not photos:
        return
    PhotoLabel.objects.filter(photo__in=photos).delete()
    removed: dict[object, set[str]] = {}
    tags: dict[object, list[str]] = {}
    for photo_id, kind, name, key in LabelCorrection.objects.filter(photo__in=photos).values_list(
        "photo_id", "kind", "name", "term_key"
    ):
        if kind == LabelCorrection.Kind.REMOVED:
            removed.setdefault(photo_id, set()).add(key)
        else:
            tags.setdefault(photo_id, []).append(name)
    rows: list[PhotoLabel] = []
    for photo in photos:
        rows.extend(_terms(photo, removed.get(photo.pk, set()), tags.get(photo.pk, [])))
    PhotoLabel.objects.bulk_create(rows)


def _terms(photo: Photo, gone: set[str], tags: list[str]) -> list[PhotoLabel]:
    """One photo's index rows: each term once, at its most confident, a label where anything
    names it as one (a parent only where nothing does)."""
    terms: dict[str, PhotoLabel] = {}

    def add(name: str, confidence: float, is_parent: bool) -> None:
        key = term_key(name)
        if not key or key in gone:
            return
        known = terms.get(key)
        if known is None:
            terms[key] = PhotoLabel(
                photo=photo,
                owner_id=photo.album.owner_id,
                term=column_text(PhotoLabel, "term", name),
                term_key=key,
                confidence=confidence,
                is_parent=is_parent,
            )
        else:
            known.confidence = max(known.confidence, confidence)
            known.is_parent = known.is_parent and is_parent

    for label in photo.recognized_labels:
        if term_key(label.name) in gone:
            continue
        add(label.name, label.confidence, False)
        for parent in label.parents:
            add(parent, label.confidence, True)
    for tag in tags:
        add(tag, OWN_TAG_CONFIDENCE, False)
    return list(terms.values())


def label_remove(*, photo: Photo, name: str) -> Label:
    """Hides one of the recognizer's labels from the photo's chips and search, for good."""
    with transaction.atomic():
        photo = _locked(photo)
        label = _recognized(photo, name)
        if photo.label_corrections.filter(kind=LabelCorrection.Kind.REMOVED).count() >= MAX_REMOVED:
            raise CorrectionRefused("This photo has too many removed labels; put some back first")
        # An own tag of the same name (made before a re-run named it too) goes with it: the
        # person now says it is not there. Removed already: nothing to add.
        photo.label_corrections.filter(
            kind=LabelCorrection.Kind.ADDED, term_key=term_key(label.name)
        ).delete()
        LabelCorrection.objects.bulk_create(
            [
                LabelCorrection(
                    photo=photo,
                    kind=LabelCorrection.Kind.REMOVED,
                    name=label.name,
                    term_key=term_key(label.name),
                )
            ],
            ignore_conflicts=True,
        )
        index_labels([photo])
    return label


def label_restore(*, photo: Photo, name: str) -> None:
    """Puts a removed label back (nothing to do when it is not removed)."""
    _undo(photo, LabelCorrection.Kind.REMOVED, name)


def tag_add(*, photo: Photo, text: str) -> str:
    """Adds the owner's own tag; returns it as stored. A tag that names one of the photo's
    removed labels puts that label back instead; one it already shows is refused."""
    tag = normalise_tag(text)
    key = term_key(tag)
    if not key:
        raise CorrectionRefused("Type a tag to add")
    with transaction.atomic():
        photo = _locked(photo)
        corrections = {c.term_key: c for c in photo.label_corrections.all()}
        known = corrections.get(key)
        recognized = {term_key(label.name): label.name for label in photo.recognized_labels}
        if known is not None and known.kind == LabelCorrection.Kind.REMOVED:
            known.delete()
            index_labels([photo])
            return known.name
        if known is not None:
            raise CorrectionRefused(f"“{known.name}” is already one of your tags")
        if key in recognized:
            raise CorrectionRefused(f"The photo is already labelled “{recognized[key]}”")
        tags = sum(c.kind == LabelCorrection.Kind.ADDED for c in corrections.values())
        if tags >= MAX_OWN_TAGS:
            raise CorrectionRefused(f"A photo can have at most {MAX_OWN_TAGS} tags of your own")
        LabelCorrection.objects.create(
            photo=photo, kind=LabelCorrection.Kind.ADDED, name=tag, term_key=key
        )
        index_labels([photo])
    return tag


def tag_delete(*, photo: Photo, name: str) -> None:
    """Deletes one of the owner's own tags (nothing to do when it is not one)."""
    _undo(photo, LabelCorrection.Kind.ADDED, name)


def _undo(photo: Photo, kind: str, name: str) -> None:
    """Deletes the photo's correction of that kind and name, and indexes its labels again."""
    with transaction.atomic():
        photo = _locked(photo)
        photo.label_corrections.filter(kind=kind, term_key=term_key(name)).delete()
        index_labels([photo])


def _locked(photo: Photo) -> Photo:
    """The photo read again under its row lock, which the results poll's save also takes: a
    correction and a result arriving together are indexed one after the other, each seeing
    the other's writes."""
    locked = Photo.objects.select_for_update().select_related("album").get(pk=photo.pk)
    if locked.status != Photo.Status.SUCCEEDED:
        raise CorrectionRefused("Labels can be corrected once the photo is done")
    return locked


def _recognized(photo: Photo, name: str) -> Label:
    key = term_key(name)
    label = next((label for label in photo.recognized_labels if term_key(label.name) == key), None)
    if label is None:
        raise CorrectionRefused("The photo has no such label")
    return label
