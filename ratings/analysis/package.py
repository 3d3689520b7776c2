"""The replication package of a campaign: one zip with everything needed to check its numbers.

Contents: the run's trials and the campaign's rating revisions (long CSV, as the exports
stream them), the run's frozen configuration (without the names of the environment variables
that hold API keys, and without credentials in URLs), every statistic the API serves as CSV
tables plus their full JSON results, `redaction.json` with what redaction and its review did
to the units (ratings.review_selectors.FIGURES), and `manifest.json` listing each file with its row count,
size and SHA-256. Files are written into the zip one chunk at a time, so a large run never sits
in memory whole.
"""

from __future__ import annotations

import copy
import hashlib
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from django.utils import timezone

from llmruns.analysis import results as run_results
from llmruns.analysis.diagnostics import run_diagnostics
from llmruns.analysis.exports import encode_csv, trial_export
from llmruns.analysis.parameters import (
    DIAGNOSTIC_PARAMETERS,
    MIXED_MODEL_PARAMETERS,
    PROFILE_PARAMETERS,
    parse_parameters,
)
from llmruns.analysis.tables import DIAGNOSTICS
from llmruns.models import Run
from ratings.analysis import results, tables
from ratings.analysis.exports import rating_export
from ratings.analysis.parameters import (
    AGREEMENT_PARAMETERS,
    DISCREPANCY_PARAMETERS,
    RATER_PARAMETERS,
    UNIT_PARAMETERS,
)
from ratings.models import Campaign
from ratings.review_selectors import redaction_figures

MANIFEST_NAME = "manifest.json"
PACKAGE_FORMAT = 1
# Keys of the frozen configuration that name where secrets live; never part of a package.
SECRET_KEYS = frozenset({"api_key_env", "api_key"})


@dataclass
class ManifestEntry:
    name: str
    rows: int | None
    bytes: int = 0
    sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "bytes": self.bytes, "sha256": self.sha256}


@dataclass
class PackageManifest:
    campaign: dict[str, Any]
    run: dict[str, Any]
    parameters: dict[str, Any]
    files: list[ManifestEntry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": PACKAGE_FORMAT,
            "created_at": timezone.now().isoformat(),
            "campaign": self.campaign,
            "run": self.run,
            "parameters": self.parameters,
            "files": [entry.as_dict() for entry in self.files],
        }


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def public_run_config(run: Run) -> dict[str, Any]:
    """The run's frozen configuration without secret locations or credentials in URLs."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: (
                    _without_userinfo(item)
                    if key == "base_url" and isinstance(item, str)
                    else scrub(item)
                )
                for key, item in value.items()
                if key not in SECRET_KEYS
            }
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return value

    return scrub(copy.deepcopy(run.config))


def _write_entry(archive: zipfile.ZipFile, entry: ManifestEntry, chunks: Iterable[bytes]) -> None:
    digest = hashlib.sha256()
    size = 0
    with archive.open(entry.name, "w", force_zip64=True) as target:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    entry.bytes = size
    entry.sha256 = digest.hexdigest()


def _statistic_tables(
    campaign: Campaign, *, bootstrap: int, seed: int
) -> Iterator[tuple[str, dict]]:
    """(file stem, result) for every statistic of the campaign and its run."""
    run = campaign.run
    common = {"bootstrap": str(bootstrap), "seed": str(seed)}
    yield (
        "agreement",
        results.campaign_agreement(
            campaign=campaign,
            parameters=parse_parameters(AGREEMENT_PARAMETERS, {**common, "by": "none"}),
        ),
    )
    for by in ("area", "endpoint", "language"):
        yield (
            f"agreement_by_{by}",
            results.campaign_agreement(
                campaign=campaign,
                parameters=parse_parameters(AGREEMENT_PARAMETERS, {**common, "by": by}),
            ),
        )
    yield (
        "raters",
        results.campaign_raters(
            campaign=campaign, parameters=parse_parameters(RATER_PARAMETERS, {})
        ),
    )
    yield (
        "units",
        results.campaign_units(campaign=campaign, parameters=parse_parameters(UNIT_PARAMETERS, {})),
    )
    for source in ("self_competence", "self_review"):
        yield (
            f"discrepancy_{source}",
            results.campaign_discrepancy(
                campaign=campaign,
                parameters=parse_parameters(DISCREPANCY_PARAMETERS, {**common, "source": source}),
            ),
        )
    yield (
        "profiles",
        run_results.run_profiles(run=run, parameters=parse_parameters(PROFILE_PARAMETERS, {})),
    )
    yield (
        "mixed_model",
        run_results.run_mixed_model(
            run=run, parameters=parse_parameters(MIXED_MODEL_PARAMETERS, {})
        ),
    )
    # The diagnostics with their own default bootstrap (omega is refitted per replicate).
    yield (
        "diagnostics",
        run_diagnostics(
            run=run, parameters=parse_parameters(DIAGNOSTIC_PARAMETERS, {"seed": str(seed)})
        ),
    )


STATISTIC_OF_STEM = {
    "agreement": tables.AGREEMENT,
    "raters": tables.RATERS,
    "units": tables.UNITS,
    "discrepancy": tables.DISCREPANCY,
    "profiles": tables.PROFILES,
    "mixed_model": tables.MIXED_MODEL,
    "diagnostics": DIAGNOSTICS,
}


def _statistic_of(stem: str) -> str:
    for prefix, statistic in STATISTIC_OF_STEM.items():
        if stem.startswith(prefix):
            return statistic
    raise KeyError(stem)


def replication_package_write(
    *, campaign: Campaign, target: IO[bytes], bootstrap: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Write the campaign's replication package as a zip to `target`; returns the manifest."""
    run = campaign.run
    manifest = PackageManifest(
        campaign=results.campaign_scope(campaign),
        run={**run_results.run_scope(run), "code_version": run.config.get("code_version")},
        parameters={"bootstrap": bootstrap, "seed": seed},
    )
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for source, name in (
            (trial_export(run=run), "trials.csv"),
            (rating_export(campaign=campaign), "ratings.csv"),
        ):
            entry = ManifestEntry(name=name, rows=0)
            _write_entry(archive, entry, encode_csv(source))
            entry.rows = source.rows_written
            manifest.files.append(entry)

        figures = json.dumps(redaction_figures(campaign), indent=2).encode()
        entry = ManifestEntry(name="redaction.json", rows=None)
        _write_entry(archive, entry, [figures])
        manifest.files.append(entry)

        config = json.dumps(public_run_config(run), ensure_ascii=False, indent=2).encode()
        entry = ManifestEntry(name="run_config.json", rows=None)
        _write_entry(archive, entry, [config])
        manifest.files.append(entry)

        full_results: dict[str, Any] = {}
        for stem, result in _statistic_tables(campaign, bootstrap=bootstrap, seed=seed):
            full_results[stem] = result
            statistic = _statistic_of(stem)
            for table in tables.RESULT_TABLES[statistic]:
                rows = tables.result_table(statistic, result, table)
                name = (
                    f"statistics/{stem}.csv"
                    if table == tables.RESULT_TABLES[statistic][0]
                    else (f"statistics/{stem}_{table}.csv")
                )
                entry = ManifestEntry(name=name, rows=len(rows))
                columns = tables.result_columns(statistic, result, table)
                _write_entry(archive, entry, [tables.table_csv(rows, columns=columns).encode()])
                manifest.files.append(entry)
        entry = ManifestEntry(name="statistics/results.json", rows=None)
        _write_entry(
            archive, entry, [json.dumps(full_results, ensure_ascii=False, indent=2).encode()]
        )
        manifest.files.append(entry)

        manifest_dict = manifest.as_dict()
        archive.writestr(MANIFEST_NAME, json.dumps(manifest_dict, ensure_ascii=False, indent=2))
    return manifest_dict


def package_filename(campaign: Campaign) -> str:
    return f"campaign-{campaign.pk}-replication-package.zip"
