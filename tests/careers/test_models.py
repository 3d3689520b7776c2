"""Prompt templates are versioned: an edit is a new version, the old one stays."""

from __future__ import annotations

import pytest

from careers.models import PromptTemplate


@pytest.mark.django_db
def test_revising_a_template_creates_the_next_version_and_keeps_the_old(instrument, admin_user):
    original = PromptTemplate.objects.filter(
        instrument=instrument, kind="interest", language="en", variant=1
    ).get()
    revised = original.revise(system_text="sys", user_text="New {activity}\n{scale}", by=admin_user)
    again = revised.revise(system_text="sys", user_text="Newer {activity}\n{scale}")
    original.refresh_from_db()
    assert (original.version, revised.version, again.version) == (1, 2, 3)
    assert original.user_text != "New {activity}\n{scale}"
    assert list(original.family.order_by("version").values_list("version", flat=True)) == [1, 2, 3]
    assert revised.created_by == admin_user


@pytest.mark.django_db
def test_admin_edit_of_a_template_saves_a_new_version(client, admin_user, instrument):
    template = PromptTemplate.objects.get(
        instrument=instrument, kind="interest", language="en", variant=1
    )
    client.force_login(admin_user)
    url = f"/admin/careers/prompttemplate/{template.pk}/change/"
    response = client.post(
        url,
        {
            "system_text": template.system_text,
            "user_text": "Edited {activity}\n{scale}",
            "note": "tweak",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    versions = template.family.order_by("version")
    assert versions.count() == 2
    assert versions.last().user_text == "Edited {activity}\n{scale}"
    template.refresh_from_db()
    assert template.user_text != "Edited {activity}\n{scale}"
    history = client.get(f"/admin/careers/prompttemplate/{versions.last().pk}/change/")
    assert b"v1" in history.content and b"v2" in history.content
