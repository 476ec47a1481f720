"""Deleting a photo while its pipeline runs leaves nothing behind once the pipeline finishes: no
original, no thumbnail, no results item (only its tombstone, which is no result), and the
execution ends quietly in PhotoDeleted rather than recording a failure.

The execution is run by the local runner with one task wrapped so that the photo is deleted
right after that task, or in the middle of Thumbnails' writes: deterministic, no waiting."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from albums.models import Album, Photo
from albums.services import photo_delete
from processing.adapters.local_files import LocalBlobStore
from processing.local.pipeline import current_definition, resources
from processing.local.worker import work_once
from processing.results import Tombstone
from processing.runtime import config
from processing.statemachine.runner import Execution, Runner
from tests.albums.photo_helpers import SUCCESSFUL_TASKS, upload
from tests.processing.images import jpeg, orientation_card

pytestmark = pytest.mark.django_db


def stored_files() -> list[str]:
    media = config().var_dir / "media"
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def started(client: Client, album: Album) -> Photo:
    """A photo uploaded through the endpoints whose notification the S3Trigger has handled:
    its execution is started and its item RUNNING, and no step has run."""
    photo_id = upload(client, album, jpeg(orientation_card(1600, 1200)))
    settings = config()
    assert work_once(settings.local_queue(), settings)  # the S3 notification
    return Photo.objects.select_related("album").get(pk=photo_id)


def run(photo: Photo, tasks: dict[str, Callable[[Any], Any]]) -> Execution:
    record = config().local_executions().get_by_name(str(photo.id))
    assert record is not None
    context = {"Execution": {"Id": record.arn, "Name": record.name, "Input": record.input}}
    return Runner(current_definition(), tasks).run(record.input, context=context)


def assert_nothing_left(photo_id: str, execution: Execution) -> None:
    assert execution.status == "SUCCEEDED"
    assert execution.history[-1].state == "PhotoDeleted"
    assert not any(
        e.state.startswith("Record") and e.status == "SUCCEEDED" for e in execution.history
    )
    assert stored_files() == []
    assert config().result_store().get_many([photo_id]) == {}
    assert isinstance(config().result_store().get(photo_id), Tombstone)
    assert not Photo.objects.filter(pk=photo_id).exists()


@pytest.mark.parametrize("after", SUCCESSFUL_TASKS[:-1])
def test_a_photo_deleted_between_steps_leaves_nothing_once_the_pipeline_ends(
    alice_client: Client, alices_album: Album, after: str
) -> None:
    photo = started(alice_client, alices_album)
    photo_id = str(photo.id)  # the row's pk is gone once it is deleted
    tasks = resources()
    arn = current_definition()["States"][after]["Resource"]
    step = tasks[arn]

    def then_delete(task_input: Any) -> Any:
        output = step(task_input)
        photo_delete(photo=photo)
        return output

    execution = run(photo, {**tasks, arn: then_delete})

    assert_nothing_left(photo_id, execution)


def test_a_deletion_racing_with_the_thumbnail_writes_leaves_nothing(
    alice_client: Client, alices_album: Album, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = started(alice_client, alices_album)
    photo_id = str(photo.id)
    put = LocalBlobStore.put

    def put_then_delete_after_the_first_thumbnail(
        self: LocalBlobStore,
        key: str,
        data: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
    ) -> None:
        put(self, key, data, content_type=content_type, cache_control=cache_control)
        if key.endswith("/250.jpg"):  # 1024.jpg is written after the deletion
            photo_delete(photo=photo)

    monkeypatch.setattr(LocalBlobStore, "put", put_then_delete_after_the_first_thumbnail)

    execution = run(photo, resources())

    thumbnails = next(e for e in execution.history if e.state == "Thumbnails")
    assert (thumbnails.status, thumbnails.error) == ("CAUGHT", "PhotoDeleted")
    assert_nothing_left(photo_id, execution)


def test_a_deleted_photos_queued_execution_ends_quietly_in_the_worker(
    alice_client: Client, alices_album: Album
) -> None:
    photo = started(alice_client, alices_album)
    photo_id = str(photo.id)
    photo_delete(photo=photo)
    settings = config()
    while work_once(settings.local_queue(), settings):
        pass
    record = settings.local_executions().get_by_name(photo_id)
    assert record is not None
    assert record.status == "SUCCEEDED"
    assert stored_files() == []
    assert settings.result_store().get_many([photo_id]) == {}
