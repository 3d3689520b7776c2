"""The campaign statistics service: cached results as plain dicts, the rating export, packages.

Re-exports the public names of the package's modules: `parameters` (the campaign statistics'
query parameters), `results` (every statistic of a campaign, cached per data version), `tables`
(the campaign tables, registered with the run ones), `exports` (the ratings in long format) and
`package` (the replication zip); and, as the one place researchers' code imports statistics
from, the run statistics of `llmruns.analysis` (profiles, mixed model, trial export, encoders).
"""

from __future__ import annotations

from llmruns.analysis import (
    CONTENT_TYPES,
    EXPORT_FORMATS,
    MIXED_MODEL,
    MIXED_MODEL_PARAMETERS,
    PROFILE_PARAMETERS,
    PROFILES,
    RESULT_TABLES,
    ExportSource,
    Parameter,
    ParameterError,
    encode,
    encode_csv,
    encode_jsonl,
    encode_parquet,
    filename,
    parse_parameters,
    result_columns,
    result_table,
    run_mixed_model,
    run_profiles,
    table_csv,
    trial_export,
)
from ratings.analysis.exports import rating_export
from ratings.analysis.package import (
    MANIFEST_NAME,
    package_filename,
    public_run_config,
    replication_package_write,
)
from ratings.analysis.parameters import (
    AGREEMENT_PARAMETERS,
    DISCREPANCY_PARAMETERS,
    RATER_PARAMETERS,
    UNIT_PARAMETERS,
)
from ratings.analysis.results import (
    campaign_agreement,
    campaign_discrepancy,
    campaign_raters,
    campaign_units,
)
from ratings.analysis.tables import AGREEMENT, DISCREPANCY, RATERS, UNITS

__all__ = [
    "AGREEMENT",
    "AGREEMENT_PARAMETERS",
    "CONTENT_TYPES",
    "DISCREPANCY",
    "DISCREPANCY_PARAMETERS",
    "EXPORT_FORMATS",
    "MANIFEST_NAME",
    "MIXED_MODEL",
    "MIXED_MODEL_PARAMETERS",
    "PROFILES",
    "PROFILE_PARAMETERS",
    "RATERS",
    "RATER_PARAMETERS",
    "RESULT_TABLES",
    "UNITS",
    "UNIT_PARAMETERS",
    "ExportSource",
    "Parameter",
    "ParameterError",
    "campaign_agreement",
    "campaign_discrepancy",
    "campaign_raters",
    "campaign_units",
    "encode",
    "encode_csv",
    "encode_jsonl",
    "encode_parquet",
    "filename",
    "package_filename",
    "parse_parameters",
    "public_run_config",
    "rating_export",
    "replication_package_write",
    "result_columns",
    "result_table",
    "run_mixed_model",
    "run_profiles",
    "table_csv",
    "trial_export",
]
