"""The statistics service: cached results as plain dicts, streamed exports, replication packages.

Re-exports the public names of the package's modules: `parameters` (query parameters and their
validation), `results` (every statistic of a campaign or a run, cached per data version),
`tables` (the tables of each result and their CSV form), `exports` (long-format CSV, Parquet and
JSON-lines streams) and `package` (the replication zip).
"""

from __future__ import annotations

from ratings.analysis.exports import (
    CONTENT_TYPES,
    EXPORT_FORMATS,
    ExportSource,
    encode,
    encode_csv,
    encode_jsonl,
    encode_parquet,
    filename,
    rating_export,
    trial_export,
)
from ratings.analysis.package import (
    MANIFEST_NAME,
    package_filename,
    public_run_config,
    replication_package_write,
)
from ratings.analysis.parameters import (
    AGREEMENT_PARAMETERS,
    DISCREPANCY_PARAMETERS,
    MIXED_MODEL_PARAMETERS,
    PROFILE_PARAMETERS,
    RATER_PARAMETERS,
    UNIT_PARAMETERS,
    Parameter,
    ParameterError,
    parse_parameters,
)
from ratings.analysis.results import (
    campaign_agreement,
    campaign_discrepancy,
    campaign_raters,
    campaign_units,
    run_mixed_model,
    run_profiles,
)
from ratings.analysis.tables import (
    AGREEMENT,
    DISCREPANCY,
    MIXED_MODEL,
    PROFILES,
    RATERS,
    RESULT_TABLES,
    UNITS,
    result_columns,
    result_table,
    table_csv,
)

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
