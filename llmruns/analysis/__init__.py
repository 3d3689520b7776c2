"""The run statistics service: cached results as plain dicts, streamed trial exports.

Re-exports the public names of the package's modules: `parameters` (query parameters and their
validation), `selectors` (the run's answer frames, one query each), `results` (every statistic
of a run, cached per data version), `diagnostics` (the psychometric diagnostics), `tables` (the tables of each result and their CSV form) and
`exports` (long-format CSV, Parquet and JSON-lines streams). The campaign statistics, the rating
export and the replication package, which need expert ratings, are in `ratings.analysis`.
"""

from __future__ import annotations

from llmruns.analysis.diagnostics import run_diagnostics
from llmruns.analysis.exports import (
    CONTENT_TYPES,
    EXPORT_FORMATS,
    ExportSource,
    encode,
    encode_csv,
    encode_jsonl,
    encode_parquet,
    filename,
    trial_export,
)
from llmruns.analysis.parameters import (
    BOOTSTRAP,
    CONFIDENCE,
    DIAGNOSTIC_PARAMETERS,
    MIXED_MODEL_PARAMETERS,
    PROFILE_PARAMETERS,
    SEED,
    Parameter,
    ParameterError,
    check_run_method,
    parse_parameters,
    plain_parameters,
)
from llmruns.analysis.results import run_mixed_model, run_profiles
from llmruns.analysis.tables import (
    DIAGNOSTICS,
    MIXED_MODEL,
    PROFILES,
    RESULT_TABLES,
    result_columns,
    result_table,
    table_csv,
)

__all__ = [
    "DIAGNOSTICS",
    "DIAGNOSTIC_PARAMETERS",
    "run_diagnostics",
    "BOOTSTRAP",
    "CONFIDENCE",
    "CONTENT_TYPES",
    "EXPORT_FORMATS",
    "MIXED_MODEL",
    "MIXED_MODEL_PARAMETERS",
    "PROFILES",
    "PROFILE_PARAMETERS",
    "RESULT_TABLES",
    "SEED",
    "ExportSource",
    "Parameter",
    "ParameterError",
    "check_run_method",
    "encode",
    "encode_csv",
    "encode_jsonl",
    "encode_parquet",
    "filename",
    "parse_parameters",
    "plain_parameters",
    "result_columns",
    "result_table",
    "run_mixed_model",
    "run_profiles",
    "table_csv",
    "trial_export",
]
