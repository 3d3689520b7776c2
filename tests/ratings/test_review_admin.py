"""The admin side of names as data and of the review gate: the list of model names study admins
extend, and the campaign list's link to the review list."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ratings.models import ModelName
from ratings.redaction import fixture_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_shipped_fixture_is_in_the_database_entry_for_entry():
    shipped = {entry["name"]: entry for entry in fixture_entries()}
    stored = {entry.name: entry for entry in ModelName.objects.all()}
    assert set(stored) == set(shipped)
    spark = stored["Spark (bare)"]
    assert (spark.maker, spark.kind, spark.rule) == ("iFLYTEK", "family", "with_version")
    assert spark.forms == shipped["Spark (bare)"]["forms"]


def test_model_names_list_has_constant_queries(admin_client, django_assert_num_queries):
    # The session, the user, the count of entries, the page of entries, the makers for the
    # filter: the same whatever the number of entries.
    with django_assert_num_queries(5):
        page = admin_client.get("/admin/ratings/modelname/?all=")
    assert page.status_code == 200 and "讯飞星火" in page.content.decode()
    ModelName.objects.bulk_create(
        ModelName(name=f"Extra {n}", maker="Extra", kind="family", forms=[f"Extra{n}"])
        for n in range(20)
    )
    with django_assert_num_queries(5):
        admin_client.get("/admin/ratings/modelname/?all=")


def test_a_study_admin_adds_a_name_and_a_bad_one_is_refused(admin_client):
    form = {
        "name": "Velvetmind",
        "maker": "Nowhere Labs",
        "kind": "family",
        "rule": "always",
        "forms": json.dumps(["Velvetmind", "天鹅绒"]),
        "is_active": "on",
    }
    response = admin_client.post("/admin/ratings/modelname/add/", form)
    assert response.status_code == 302
    assert ModelName.objects.get(name="Velvetmind").forms == ["Velvetmind", "天鹅绒"]
    bad = admin_client.post(
        "/admin/ratings/modelname/add/", {**form, "name": "Bad", "forms": json.dumps(["x"])}
    )
    assert bad.status_code == 200
    assert "match ordinary letters" in bad.content.decode()
    assert not ModelName.objects.filter(name="Bad").exists()


def test_campaign_list_links_to_the_review_list_with_the_waiting_count(
    admin_client, finished_run, panel, admin_user
):
    from ratings.services import campaign_create

    campaign = campaign_create(name="Waiting", run=finished_run, panel=panel, by=admin_user)
    html = admin_client.get("/admin/ratings/campaign/").content.decode()
    assert f"/ratings/campaigns/{campaign.pk}/review/" in html
    assert "review (48 waiting)" in html
