"""Text a study admin writes for the experts (a campaign's instructions, a calibration unit's
rationale) must not name a model, endpoint or provider: the admin page, the API, the
create_campaign command and campaign_create itself refuse it, naming the field and the reason,
and nothing is written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from ratings.models import Campaign, Unit
from ratings.services import GoldUnit, campaign_create, identity_mentions
from tests.ratings.conftest import ENDPOINTS

pytestmark = pytest.mark.django_db

REASON = "which experts must not see"

# Each names what experts must not know: an endpoint's name, its model id (without the
# namespace too), its provider, a listed model, a self-introduction of an unknown name.
LEAKY_TEXTS = [
    f"Rate it as you would rate {ENDPOINTS[0]['name']}.",
    f"Samples of {ENDPOINTS[1]['model']} come first.",
    f"{ENDPOINTS[0]['provider']} wrote none of these.",
    "Rate as if ChatGPT wrote it.",
    "请像评价文心一言那样评分。",
    "I am Zorblax, and the plan is thin.",
    "我叫灵犀。这份方案太薄。",
]


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _create_form(run, panel, **fields) -> dict:
    return {
        "name": "Refused",
        "run": run.pk,
        "panel": panel.pk,
        "languages": ["en"],
        "areas": ["A"],
        "samples_per_cell": 1,
        "raters_per_unit": 2,
        "match_expertise": "on",
        "gold": "",
        **fields,
    }


def _definition(run, panel, **changes) -> dict:
    return {
        "name": "Refused",
        "run": run.pk,
        "panel": panel.pk,
        "languages": ["en"],
        "areas": ["A"],
        "raters_per_unit": 2,
        **changes,
    }


@pytest.mark.parametrize("text", LEAKY_TEXTS)
def test_the_names_experts_must_not_see_are_found_in_an_admins_text(model_endpoints, text):
    assert identity_mentions(text)


def test_ordinary_instructions_name_nobody(model_endpoints):
    for text in (
        "Judge the substance, not the style.",
        "As Director, I would want the budget first: rate how useful the plan is.",
        "请评判内容，而不是文风。",
        "",
    ):
        assert identity_mentions(text) == []


@pytest.mark.parametrize("text", LEAKY_TEXTS)
def test_admin_create_form_refuses_instructions_that_name_a_model(
    admin_client, finished_run, panel, text
):
    field = "instructions_zh" if not text.isascii() else "instructions_en"
    response = admin_client.post(
        "/admin/ratings/campaign/add/", _create_form(finished_run, panel, **{field: text})
    )

    assert response.status_code == 200
    assert response.context["form"].has_error(field, "identifies_model")
    assert "The instructions names a model" in response.content.decode()
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_admin_create_form_refuses_a_calibration_rationale_that_names_a_model(
    admin_client, finished_run, panel
):
    trials = list(finished_run.trials.filter(language="en", item__area="A").order_by("pk")[:2])
    calibration = (
        f"{trials[0].pk}, 2, 3, Names the steps\n"
        f"{trials[1].pk}, 2, 3, Reads like {ENDPOINTS[0]['name']}: thin"
    )
    response = admin_client.post(
        "/admin/ratings/campaign/add/",
        _create_form(finished_run, panel, calibration=calibration, qualification_threshold="0.5"),
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("calibration", "identifies_model")
    message = form.errors["calibration"][0]
    assert message.startswith("Line 2: the rationale names a model") and REASON in message
    assert ENDPOINTS[0]["name"] in message
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_admin_change_form_refuses_instructions_that_name_a_model(admin_client, campaign):
    before = dict(campaign.instructions)
    url = f"/admin/ratings/campaign/{campaign.pk}/change/"
    leaky = f'{{"en": "Be fair.", "zh-hans": "{ENDPOINTS[1]["provider"]}的样本在前。"}}'

    response = admin_client.post(url, {"name": campaign.name, "instructions": leaky})

    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("instructions", "identifies_model")
    assert "The instructions (zh-hans) names a model" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.instructions == before

    saved = admin_client.post(
        url, {"name": campaign.name, "instructions": '{"en": "Judge the substance."}'}
    )
    assert saved.status_code == 302
    campaign.refresh_from_db()
    assert campaign.instructions == {"en": "Judge the substance."}


@pytest.mark.parametrize("text", LEAKY_TEXTS)
def test_api_refuses_instructions_that_name_a_model_with_a_400(
    admin_api, finished_run, panel, text
):
    instructions = {"en": "Judge the substance.", "zh-hans": text}
    response = admin_api.post(
        "/api/v1/campaigns/",
        _definition(finished_run, panel, instructions=instructions),
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["instructions"] and list(body["instructions"]) == ["zh-hans"]
    assert REASON in body["instructions"]["zh-hans"][0]
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_api_refuses_a_gold_rationale_that_names_a_model_with_a_400(admin_api, finished_run, panel):
    trials = list(finished_run.trials.filter(language="en", item__area="A").order_by("pk")[:2])
    gold = [
        {
            "trial": trials[0].pk,
            "expected_min": 2,
            "expected_max": 3,
            "calibration": True,
            "rationale": "Names the steps.",
        },
        {
            "trial": trials[1].pk,
            "expected_min": 2,
            "expected_max": 3,
            "calibration": True,
            "rationale": f"Typical of {ENDPOINTS[1]['model']}: thin.",
        },
    ]
    response = admin_api.post(
        "/api/v1/campaigns/",
        _definition(finished_run, panel, gold=gold, qualification_threshold=0.5),
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    # The second gold unit (index 1), its rationale.
    assert list(body) == ["gold"] and list(body["gold"]) == ["1"]
    message = body["gold"]["1"]["rationale"][0]
    assert message.startswith("The rationale names a model") and REASON in message
    assert ENDPOINTS[1]["model"] in message
    assert not Campaign.objects.exists() and not Unit.objects.exists()


@pytest.mark.parametrize("text", LEAKY_TEXTS)
def test_campaign_create_refuses_instructions_that_name_a_model(finished_run, panel, text):
    with pytest.raises(ValidationError) as refused:
        campaign_create(
            name="Refused",
            run=finished_run,
            panel=panel,
            languages=["en"],
            areas=["A"],
            raters_per_unit=2,
            instructions={"en": "Judge the substance.", "zh-hans": text},
        )

    assert list(refused.value.message_dict) == ["instructions"]
    [message] = refused.value.message_dict["instructions"]
    assert message.startswith("The instructions (zh-hans) names a model") and REASON in message
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_campaign_create_refuses_a_rationale_and_instructions_that_name_a_model_at_once(
    finished_run, panel
):
    trials = list(finished_run.trials.filter(language="en", item__area="A").order_by("pk")[:2])
    gold = [
        GoldUnit(
            trial_id=trials[0].pk,
            expected_min=2,
            expected_max=3,
            calibration=True,
            rationale="Names the steps.",
        ),
        GoldUnit(
            trial_id=trials[1].pk,
            expected_min=2,
            expected_max=3,
            calibration=True,
            rationale=f"Typical of {ENDPOINTS[1]['model']}: thin.",
        ),
    ]

    with pytest.raises(ValidationError) as refused:
        campaign_create(
            name="Refused",
            run=finished_run,
            panel=panel,
            languages=["en"],
            areas=["A"],
            raters_per_unit=2,
            instructions={"en": f"{ENDPOINTS[0]['provider']} wrote none of these."},
            gold=gold,
            qualification_threshold=0.5,
        )

    errors = refused.value.message_dict
    assert sorted(errors) == ["gold", "instructions"]
    [rationale] = errors["gold"]
    assert rationale.startswith(f"The rationale of trial {trials[1].pk} names a model")
    assert ENDPOINTS[1]["model"] in rationale and REASON in rationale
    [instructions] = errors["instructions"]
    assert instructions.startswith("The instructions (en) names a model")
    assert ENDPOINTS[0]["provider"] in instructions
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_create_campaign_command_refuses_instructions_that_name_a_model(finished_run, panel):
    with pytest.raises(CommandError) as refused:
        call_command(
            "create_campaign",
            "--name",
            "Refused",
            "--run",
            str(finished_run.pk),
            "--panel",
            panel.name,
            "--raters-per-unit",
            "2",
            "--instructions-en",
            "Judge the substance.",
            "--instructions-zh",
            f"请像评价{ENDPOINTS[0]['name']}那样评分。",
        )

    message = str(refused.value)
    assert message.startswith("campaign refused: instructions: The instructions (zh-hans) names")
    assert ENDPOINTS[0]["name"] in message and REASON in message
    assert not Campaign.objects.exists() and not Unit.objects.exists()


def test_campaign_create_refuses_in_chinese_when_the_admin_reads_chinese(finished_run, panel):
    trial = finished_run.trials.filter(language="en", item__area="A").order_by("pk").first()
    gold = [
        GoldUnit(
            trial_id=trial.pk,
            expected_min=2,
            expected_max=3,
            rationale=f"Typical of {ENDPOINTS[1]['model']}: thin.",
        )
    ]

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        campaign_create(name="Refused", run=finished_run, panel=panel, languages=["en"], gold=gold)

    [message] = refused.value.message_dict["gold"]
    assert message.startswith(f"试次 {trial.pk} 的理由说明提到了模型")
    assert not Campaign.objects.exists()
