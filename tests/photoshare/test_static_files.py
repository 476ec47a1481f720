from pathlib import Path

from django.core.management import call_command
from pytest_django.fixtures import Settings


def test_collectstatic_builds_hashed_compressed_files_for_production(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "css/photoshare.css" in manifest
    hashed = list((tmp_path / "css").glob("photoshare.*.css.gz"))
    assert hashed, "WhiteNoise should have written a compressed, hashed stylesheet"
