"""Album forms: names are trimmed, 1-100 characters, and unique per person regardless of case."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User
from albums.models import ALBUM_NAME_MAX_LENGTH, Album


class AlbumForm(forms.ModelForm):
    class Meta:
        model = Album
        fields = ("name",)
        widgets = {
            "name": forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": "Summer in Lisbon"}
            )
        }
        error_messages = {
            "name": {
                "required": "Give the album a name.",
                "max_length": f"Keep the name to {ALBUM_NAME_MAX_LENGTH} characters or fewer.",
            }
        }

    def __init__(self, *args: Any, owner: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        # Whitespace inside a name is kept as typed, except runs of it, which only confuse.
        name = " ".join(name.split())
        others = Album.objects.owned_by(self.owner).filter(name__iexact=name)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"You already have an album called “{name}”.")
        return name

    def save(self, commit: bool = True) -> Album:
        self.instance.owner = self.owner
        return super().save(commit=commit)
