"""Errors the services raise for requests that are well-formed but refused by the data's state.

They are Django `ValidationError`s, so callers that already catch those (the admin, management
commands, study files) keep working; the API's exception handler answers them with 409 Conflict
instead of 400, because the request itself was fine: what it asks for conflicts with what is
stored (a run that is not a draft, a resource the study's data depends on).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import PROTECT, RESTRICT, Model
from django.utils import translation
from django.utils.translation import gettext as _


class Conflict(ValidationError):
    """The request conflicts with the current state of the resource (HTTP 409)."""

    def __init__(self, message: str, *, field: str = "status") -> None:
        super().__init__({field: [message]})
        self.detail = message


class DependantsExist(Conflict):
    """Deleting the resource would break data that refers to it (HTTP 409).

    `dependants` maps what depends on it (e.g. "runs", "trials") to how many there are: the
    models' English plurals, whatever the language, for clients to read; the message names them
    in the active language.
    """

    def __init__(self, *, resource: str, dependants: dict[str, int], hint: str = "") -> None:
        named = dependants_named(dependants)
        message = _("%(resource)s cannot be deleted: %(named)s depend on it.") % {
            "resource": resource,
            "named": named,
        }
        super().__init__(sentences_joined(message, hint), field="dependants")
        self.dependants = dict(dependants)


# Punctuation that ends a Chinese sentence: the next one follows it without a space.
_FULL_WIDTH_STOPS = ("。", "！", "？", "；", "：", "）")


def sentences_joined(*sentences: str) -> str:
    """Sentences (in the active language) as one message: a space after an English one, none
    after a Chinese full stop; empty ones left out."""
    message = ""
    for sentence in filter(None, (str(part) for part in sentences)):
        separator = "" if not message or message.endswith(_FULL_WIDTH_STOPS) else " "
        message += separator + sentence
    return message


def dependants_named(dependants: dict[str, int]) -> str:
    """The dependants as a message names them ("1 runs, 4 trials"): each model's plural in the
    active language."""
    return ", ".join(f"{count:,} {_(name)}" for name, count in dependants.items())


def model_plural(model: type[Model]) -> str:
    """The model's plural in English (a `dependants` key), whatever the active language."""
    with translation.override("en"):
        return str(model._meta.verbose_name_plural)


def protected_dependants(obj: Model) -> dict[str, int]:
    """Rows that refer to `obj` through a PROTECT or RESTRICT foreign key, counted per model
    (one COUNT per relation, so a resource with millions of dependants is cheap to check)."""
    counts: dict[str, int] = {}
    for relation in obj._meta.related_objects:
        if relation.many_to_many or relation.on_delete not in (PROTECT, RESTRICT):
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: obj}).count()
        if count:
            name = model_plural(relation.related_model)
            counts[name] = counts.get(name, 0) + count
    return counts
