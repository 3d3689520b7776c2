"""The runs admin: estimate and progress on the run page, actions, constant-query lists."""

from __future__ import annotations

import html
import re
import warnings

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.deprecation import RemovedInDjango60Warning

from llmruns.models import Attempt, ModelEndpoint, ProviderBatch, Run, RunStatus, Trial
from llmruns.services import RunSpec, run_cancel, run_create, trial_execute
from tests.conftest import queries_per_page


def _run(instrument, endpoints, name: str) -> Run:
    return run_create(
        spec=RunSpec(
            name=name,
            instrument=instrument,
            endpoints=endpoints,
            languages=["en"],
            kinds=["interest", "work_sample"],
            replications=1,
        )
    )


@pytest.mark.django_db
def test_run_page_shows_calls_cost_and_progress(client, admin_user, instrument, mock_endpoints):
    run = _run(instrument, mock_endpoints, "admin run")
    client.force_login(admin_user)
    html = client.get(f"/admin/llmruns/run/{run.pk}/change/").content.decode()
    assert "240 calls" in html and "against 240 planned trials" in html
    assert "&quot;pending&quot;: 240" in html or '"pending": 240' in html
    assert "interest/en/1" in html  # the frozen configuration is shown
    # Each field once (status and the times are both model and read-only fields), and the
    # JSON wraps inside the admin's column instead of running past its edge.
    rows = re.findall(r'class="form-row field-(\w+)', html)
    assert "status" in rows and "created_at" in rows
    assert len(rows) == len(set(rows)), sorted(row for row in rows if rows.count(row) > 1)
    assert html.count("<pre style='white-space:pre-wrap;") == 2


@pytest.mark.django_db
def test_cancel_action_cancels_pending_trials(client, admin_user, instrument, mock_endpoints):
    run = _run(instrument, mock_endpoints, "to cancel")
    client.force_login(admin_user)
    response = client.post(
        "/admin/llmruns/run/", {"action": "cancel_runs", "_selected_action": [run.pk]}, follow=True
    )
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert Trial.objects.filter(run=run, status="cancelled").count() == 240


@pytest.mark.django_db
def test_run_and_trial_lists_take_a_constant_number_of_queries(
    client, admin_user, instrument, mock_endpoints
):
    client.force_login(admin_user)
    counts = []
    for index in range(3):
        run = _run(instrument, mock_endpoints, f"run {index}")
        ProviderBatch.objects.create(key=f"key{index}", run=run, endpoint=mock_endpoints[0])
        for url in (
            "/admin/llmruns/run/",
            "/admin/llmruns/trial/",
            "/admin/llmruns/modelendpoint/",
            "/admin/llmruns/providerbatch/",
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append((url, len(queries)))
    by_url: dict[str, set[int]] = {}
    for url, count in counts[3:]:  # after the first run, lists grow but queries must not
        by_url.setdefault(url, set()).add(count)
    assert all(len(values) == 1 for values in by_url.values()), by_url


@pytest.mark.django_db
def test_provider_batches_are_listed_with_their_provider_status(
    client, admin_user, instrument, mock_endpoints
):
    run = _run(instrument, mock_endpoints, "batch run")
    ProviderBatch.objects.create(
        key="k1", run=run, endpoint=mock_endpoints[0], provider_status="in_progress"
    )
    client.force_login(admin_user)
    html = client.get("/admin/llmruns/providerbatch/").content.decode()
    assert "k1" in html and "in_progress" in html and "batch run" in html


def _delete_requests(model: str, pk: int) -> list[tuple[str, dict]]:
    """The admin's two ways to delete: the object's delete page, and the list's "delete
    selected" action, both confirmed."""
    return [
        (f"/admin/llmruns/{model}/{pk}/delete/", {"post": "yes"}),
        (
            f"/admin/llmruns/{model}/",
            {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
        ),
    ]


@pytest.mark.django_db
def test_an_endpoint_a_run_used_cannot_be_deleted_in_the_admin(
    settings, client, admin_user, instrument, mock_endpoints
):
    # A large run is created "preparing", before any of its trials: only the run names the
    # endpoint, as the API's refusal counts it.
    settings.LLM_PREPARE_INLINE_TRIALS = 10
    run = _run(instrument, mock_endpoints[:1], "preparing run")
    assert run.status == RunStatus.PREPARING and not run.trials.exists()
    endpoint = mock_endpoints[0]
    client.force_login(admin_user)
    for url, data in _delete_requests("modelendpoint", endpoint.pk):
        client.post(url, data)
        assert ModelEndpoint.objects.filter(pk=endpoint.pk).exists(), url
    assert list(run.endpoints.all()) == [endpoint]

    unused = mock_endpoints[1]
    for url, data in _delete_requests("modelendpoint", unused.pk)[:1]:
        assert client.post(url, data).status_code == 302
    assert not ModelEndpoint.objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db
def test_a_run_that_called_its_endpoints_and_its_trials_cannot_be_deleted_in_the_admin(
    client, admin_user, instrument, mock_endpoints
):
    run = _run(instrument, mock_endpoints, "answered run")
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    answered = run.trials.filter(kind="interest").first()
    assert trial_execute(trial_id=answered.pk) == "ok"
    run_cancel(run=run)
    pending = run.trials.exclude(pk=answered.pk).first()
    running = _run(instrument, mock_endpoints, "running run")
    Run.objects.filter(pk=running.pk).update(status=RunStatus.RUNNING)
    batched = _run(instrument, mock_endpoints, "batched run")
    ProviderBatch.objects.create(key="kb", run=batched, endpoint=mock_endpoints[0])
    trials = Trial.objects.count()
    client.force_login(admin_user)

    deletions = [
        *_delete_requests("run", run.pk),
        *_delete_requests("run", running.pk),  # it may call its endpoints at any moment
        *_delete_requests("trial", answered.pk),
        *_delete_requests("trial", pending.pk),  # a cell of the run's grid goes with the run
        *_delete_requests("providerbatch", ProviderBatch.objects.get().pk),
    ]
    for url, data in deletions:
        client.post(url, data)
        assert Trial.objects.count() == trials, url
    assert Run.objects.count() == 3
    assert ProviderBatch.objects.count() == 1
    assert Attempt.objects.filter(trial=answered).exists()


@pytest.mark.django_db
def test_a_run_that_never_called_its_endpoints_can_still_be_deleted_in_the_admin(
    client, admin_user, instrument, mock_endpoints
):
    draft = _run(instrument, mock_endpoints, "draft")
    cancelled = run_cancel(run=_run(instrument, mock_endpoints, "cancelled before any call"))
    client.force_login(admin_user)

    page, action = _delete_requests("run", draft.pk)
    assert client.post(*page).status_code == 302
    _, action = _delete_requests("run", cancelled.pk)
    assert client.post(*action).status_code == 302
    assert not Run.objects.exists() and not Trial.objects.exists()


def _draft_run_with(instrument, endpoints, trials: int) -> Run:
    """A draft run keeping `trials` of its trials, half on each endpoint."""
    run = _run(instrument, endpoints, f"draft of {trials}")
    kept = []
    for endpoint in endpoints:
        kept += Trial.objects.filter(run=run, endpoint=endpoint).order_by("pk")[: trials // 2]
    Trial.objects.filter(run=run).exclude(pk__in=[trial.pk for trial in kept]).delete()
    return run


@pytest.mark.django_db
def test_a_draft_runs_delete_confirmation_counts_its_trials_per_model_in_constant_queries(
    client, admin_user, instrument, mock_endpoints
):
    """Django lists every trial on the confirmation; a run may have hundreds of thousands. The
    page and the "delete selected" confirmation name the run and count its trials per model,
    with the same queries and the same size for 10 trials as for 200."""
    client.force_login(admin_user)
    measured = {}
    for trials in (10, 200):
        run = _draft_run_with(instrument, mock_endpoints, trials)
        pages = {
            "page": lambda run=run: client.get(f"/admin/llmruns/run/{run.pk}/delete/"),
            "action": lambda run=run: client.post(
                "/admin/llmruns/run/", {"action": "delete_selected", "_selected_action": [run.pk]}
            ),
        }
        for name, request in pages.items():
            with CaptureQueriesContext(connection) as queries:
                response = request()
            assert response.status_code == 200, name
            html = response.content.decode()
            assert "Are you sure" in html and "cannot" not in html.lower(), name
            for endpoint in mock_endpoints:
                line = f"Trials of {endpoint.name} (model {endpoint.model}): {trials // 2}"
                assert line in html, (name, line)
            assert f"<li>Trials: {trials}</li>" in html  # the summary
            assert str(run.trials.order_by("pk").last()) not in html  # no line per trial
            measured[name, trials] = (len(queries), len(html))
        assert Run.objects.filter(pk=run.pk).exists()  # asked, not deleted
    for name in ("page", "action"):
        (few_queries, few_bytes), (many_queries, many_bytes) = (
            measured[name, 10],
            measured[name, 200],
        )
        assert few_queries == many_queries, (name, measured)
        assert abs(many_bytes - few_bytes) < 100, (name, measured)  # the counts' digits


@pytest.mark.django_db
def test_the_delete_confirmation_of_a_run_that_called_its_endpoints_still_refuses(
    client, admin_user, instrument, mock_endpoints
):
    run = _run(instrument, mock_endpoints, "answered")
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    assert trial_execute(trial_id=run.trials.filter(kind="interest").first().pk) == "ok"
    run_cancel(run=run)
    client.force_login(admin_user)
    response = client.get(f"/admin/llmruns/run/{run.pk}/delete/")
    # Refused with the reason, back on the run's page (not a bare 403).
    assert response.status_code == 302
    assert response["Location"] == f"/admin/llmruns/run/{run.pk}/change/"
    response = client.post(
        "/admin/llmruns/run/", {"action": "delete_selected", "_selected_action": [run.pk]}
    )
    assert Run.objects.filter(pk=run.pk).exists()


@pytest.mark.django_db
def test_the_delete_confirmation_names_what_protects_the_run(
    client, admin_user, instrument, mock_endpoints
):
    """A campaign on the run, and its unit on one of the run's trials, keep the run: the page
    names them, as Django's did, and deletes nothing."""
    from ratings.models import Campaign, Panel, Scale, Unit

    run = _draft_run_with(instrument, mock_endpoints, 10)
    trial = run.trials.first()
    campaign = Campaign.objects.create(
        name="protecting campaign",
        run=run,
        panel=Panel.objects.create(name="panel"),
        scale=Scale.objects.get(instrument=instrument, slug="competence"),
        languages=["en"],
        areas=["R"],
        raters_per_unit=1,
    )
    unit = Unit.objects.create(
        campaign=campaign, trial=trial, item=trial.item, language="en", text_redacted="x"
    )
    client.force_login(admin_user)
    html = client.get(f"/admin/llmruns/run/{run.pk}/delete/").content.decode()
    assert "would require deleting the following protected related objects" in html
    assert f"/admin/ratings/campaign/{campaign.pk}/change/" in html
    assert str(unit) in html
    assert client.post(f"/admin/llmruns/run/{run.pk}/delete/", {"post": "yes"}).status_code == 200
    assert Run.objects.filter(pk=run.pk).exists() and run.trials.count() == 10


# What the admin says when it refuses a deletion, in English and in Chinese.
REFUSALS = {
    "en": {
        "run": "This run has trials that called their endpoints (answers, attempts, costs); "
        "results are never deleted, so the run stays on record.",
        "running": "This run is in progress and its trials may hold answers at any moment; "
        "results are never deleted. Cancel the run instead: it stays on record.",
        "trial": "A trial is a cell of its run's grid and may hold an answer; results are never "
        "deleted on their own.",
        "batch": "A provider batch is the record of what a provider holds and bills for a run; "
        "it is never deleted by hand.",
        "endpoint": "This endpoint was used by 2 runs; it is part of their record and is never "
        "deleted. Archive it instead",
        "nothing": "Nothing was deleted.",
    },
    "zh-hans": {
        "run": "该运行的试次已调用过端点（回答、尝试、费用）；结果永不删除，因此该运行保留在记录中。",
        "running": "该运行正在进行中，其试次随时可能产生回答；结果永不删除。请改为取消该运行：它会保留在记录中。",
        "trial": "试次是其运行网格中的一个单元格，可能包含回答；结果永不单独删除。",
        "batch": "服务商批次是服务商为某个运行保存并计费的内容的记录，永不手动删除。",
        "endpoint": "该模型端点已被 2 个运行使用；它是这些运行记录的一部分，永不删除。请改为（通过 API）归档",
        "nothing": "未删除任何内容。",
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_refused_deletion_says_why_in_the_page_language(
    language, client, admin_user, instrument, mock_endpoints
):
    run = _run(instrument, mock_endpoints, "answered run")
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    answered = run.trials.filter(kind="interest").first()
    assert trial_execute(trial_id=answered.pk) == "ok"
    run_cancel(run=run)
    running = _run(instrument, mock_endpoints, "running run")
    Run.objects.filter(pk=running.pk).update(status=RunStatus.RUNNING)
    batch = ProviderBatch.objects.create(key="kb", run=running, endpoint=mock_endpoints[0])
    endpoint = mock_endpoints[0]
    client.force_login(admin_user)
    client.cookies["django_language"] = language
    says = REFUSALS[language]
    other = REFUSALS["zh-hans" if language == "en" else "en"]

    def page(url: str, data: dict | None = None) -> str:
        response = client.post(url, data, follow=True) if data else client.get(url, follow=True)
        assert response.status_code == 200, url
        return html.unescape(response.content.decode())

    refusals = [
        (f"/admin/llmruns/run/{run.pk}/delete/", None, "run"),
        (f"/admin/llmruns/run/{running.pk}/delete/", None, "running"),
        (f"/admin/llmruns/trial/{answered.pk}/delete/", None, "trial"),
        (f"/admin/llmruns/providerbatch/{batch.pk}/delete/", None, "batch"),
        (f"/admin/llmruns/modelendpoint/{endpoint.pk}/delete/", None, "endpoint"),
    ]
    for url, data, reason in refusals:
        shown = page(url, data)
        assert says[reason] in shown, (url, reason)
        assert other[reason] not in shown, (url, reason)

    # The list's "delete selected" names each refused object with its reason, deletes nothing.
    for model, objects, reason in [
        ("run", [run, running], "run"),
        ("modelendpoint", [endpoint], "endpoint"),
    ]:
        for confirmed in ({}, {"post": "yes"}):
            shown = page(
                f"/admin/llmruns/{model}/",
                {
                    "action": "delete_selected",
                    "_selected_action": [obj.pk for obj in objects],
                    **confirmed,
                },
            )
            assert says[reason] in shown and says["nothing"] in shown, model
            assert other[reason] not in shown, model
            assert f"{objects[0]}" in shown
    assert Run.objects.count() == 2
    assert ModelEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert ProviderBatch.objects.count() == 1


CJK = re.compile("[\u4e00-\u9fff]")


def test_every_model_has_a_chinese_name_and_plural():
    """The admin's titles, lists and messages name the models by their verbose names: each
    model of the inventory, the runs and the ratings has its Chinese name."""
    for app in ("careers", "llmruns", "ratings"):
        for model in apps.get_app_config(app).get_models():
            opts = model._meta
            with translation.override("zh-hans"):
                names = [str(opts.verbose_name), str(opts.verbose_name_plural)]
            assert all(CJK.search(name) for name in names), (opts.label, names)


@pytest.mark.django_db
def test_the_admin_names_the_models_in_the_page_language(
    client, admin_user, instrument, mock_endpoints
):
    run = _run(instrument, mock_endpoints, "named run")
    client.force_login(admin_user)
    client.cookies["django_language"] = "zh-hans"
    index = html.unescape(client.get("/admin/").content.decode())
    for plural in ("运行", "试次", "模型端点", "评分活动", "专家组", "单元", "评分", "模型名称"):
        assert f">{plural}</a>" in index, plural
    for english in ("Runs", "Trials", "Model endpoints", "Campaigns", "Panels", "Model names"):
        assert f">{english}</a>" not in index, english
    listed = html.unescape(client.get("/admin/llmruns/run/").content.decode())
    assert "选择 运行 来修改" in listed
    deleting = client.post(
        "/admin/llmruns/run/", {"action": "delete_selected", "_selected_action": [run.pk]}
    )
    confirmation = html.unescape(deleting.content.decode())
    assert "请确认要删除选中的 运行 吗？" in confirmation
    assert "<li>运行: 1</li>" in confirmation
    assert "<li>运行: <a" in confirmation


@pytest.mark.django_db
def test_the_endpoint_form_assumes_https_for_an_address_without_a_scheme(client, admin_user):
    """The endpoint's address field says which scheme it assumes, as Django 6 will require (no
    deprecation warning), and assumes https: a provider's key never goes out over plain http
    unless the address says so."""
    client.force_login(admin_user)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemovedInDjango60Warning)
        page = client.get("/admin/llmruns/modelendpoint/add/")
        assert page.status_code == 200
        form = page.context["adminform"].form
    assert form.fields["base_url"].clean("api.example.com/v1") == "https://api.example.com/v1"
    assert form.fields["base_url"].clean("http://127.0.0.1:8001/v1") == "http://127.0.0.1:8001/v1"


def _untranslated_fields(app_labels) -> list[str]:
    """The concrete fields (the automatic primary keys aside) whose name is the same in Chinese
    as in English: the admin would show them in English in its lists, forms and filters."""
    offenders = []
    for app in app_labels:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if not field.concrete or field.auto_created:
                    continue
                with translation.override("en"):
                    english = str(field.verbose_name)
                with translation.override("zh-hans"):
                    chinese = str(field.verbose_name)
                if chinese == english or not CJK.search(chinese):
                    offenders.append(f"{model._meta.label}.{field.name} ({english!r})")
    return offenders


def test_every_model_field_has_a_chinese_name():
    """Column headers, form labels and filters name the fields by their verbose names: every
    field of the inventory, the runs and the ratings has one, translated."""
    offenders = _untranslated_fields(("careers", "llmruns", "ratings"))
    assert not offenders, "fields without a Chinese name: " + ", ".join(offenders)


def _chinese_page(client, url: str) -> str:
    client.cookies["django_language"] = "zh-hans"
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_the_endpoint_and_run_pages_name_their_fields_in_chinese(
    client, admin_user, instrument, mock_endpoints
):
    run = _run(instrument, mock_endpoints, "labelled run")
    client.force_login(admin_user)

    endpoints = _chinese_page(client, "/admin/llmruns/modelendpoint/")
    for chinese in ("基础 URL", "每分钟最多请求数", "最大并发数", "探测时间"):
        assert chinese in endpoints, chinese
    for english in ("Base URL", "Base url", "Max concurrency", "Probed at"):
        assert english not in endpoints, english

    adding = _chinese_page(client, "/admin/llmruns/modelendpoint/add/")
    for chinese in ("基础 URL", "API 密钥变量", "每百万输入词元价格", "超时（秒）"):
        assert chinese in adding, chinese
    for english in ("Base URL", "Api key env", "API key variable", "Timeout seconds"):
        assert english not in adding, english

    runs = _chinese_page(client, "/admin/llmruns/run/")
    assert "创建时间" in runs and "重复次数" in runs
    assert "Created at" not in runs and "Replications" not in runs

    changing = _chinese_page(client, f"/admin/llmruns/run/{run.pk}/change/")
    for chinese in ("创建时间", "开始时间", "引出方法", "最多尝试次数"):
        assert chinese in changing, chinese
    for english in ("Created at", "Started at", "Elicitation methods", "Max attempts"):
        assert english not in changing, english


@pytest.mark.django_db
def test_the_run_admin_change_pages_make_a_constant_number_of_queries(
    client, admin_user, instrument, mock_endpoints
):
    """A run's, a trial's, an endpoint's and a batch's page make the same queries before and
    after the run has answers and a second run exists. Every page starts with the session's
    user."""
    run = _run(instrument, mock_endpoints, "measured")
    batch = ProviderBatch.objects.create(key="k1", run=run, endpoint=mock_endpoints[0])
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    trial = run.trials.filter(kind="interest").order_by("pk").first()
    pages = {
        # the run with its instrument and creator, its endpoints, its frozen configuration
        # (read once for the estimate and the configuration); the estimate's two checks for
        # answered trials; the progress: the trial counts, the token sums, the calls and the
        # trials of the last minutes. A running run's deletion is refused without a query.
        f"/admin/llmruns/run/{run.pk}/change/": 10,
        # the trial with its run, endpoint and item; its attempts
        f"/admin/llmruns/trial/{trial.pk}/change/": 3,
        # the endpoint, the runs that refuse its deletion
        f"/admin/llmruns/modelendpoint/{mock_endpoints[0].pk}/change/": 3,
        # the batch with its run and endpoint
        f"/admin/llmruns/providerbatch/{batch.pk}/change/": 2,
    }
    client.force_login(admin_user)
    assert queries_per_page(client, pages) == pages
    for answered in run.trials.order_by("pk")[:30]:
        trial_execute(trial_id=answered.pk)
    _run(instrument, mock_endpoints, "second")
    assert queries_per_page(client, pages) == pages
    assert Attempt.objects.filter(trial__run=run).count() == 30
