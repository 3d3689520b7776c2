"""Agreement and the ratings export of the demo campaign into pandas, with a personal token."""

import os

import httpx
import pandas as pd

API = os.environ.get("VOCATIONLAB_API", "http://127.0.0.1:8000/api/v1")
HEADERS = {"Authorization": f"Token {os.environ['VOCATIONLAB_TOKEN']}"}

with httpx.Client(base_url=API, headers=HEADERS, timeout=60) as api:
    campaigns = api.get("/campaigns/").raise_for_status().json()["results"]
    campaign = next(c for c in campaigns if c["name"].startswith("Demo"))["id"]
    agreement = api.get(f"/campaigns/{campaign}/agreement/", params={"by": "area"})
    agreement = agreement.raise_for_status().json()

overall = agreement["result"]
print(f"alpha {overall['alpha']:.3f} [{overall['ci_low']:.3f}, {overall['ci_high']:.3f}]")
print(pd.DataFrame(agreement["groups"])[["area", "alpha", "ci_low", "ci_high", "n_units"]])

# One row per rating revision; `is_latest` marks the one that counts, `simulated` the demo's,
# `is_calibration` the units that train the experts (never in the statistics).
ratings = pd.read_csv(f"{API}/campaigns/{campaign}/ratings/?format=csv", storage_options=HEADERS)
latest = ratings[ratings["is_latest"] & ~ratings["is_calibration"]]
print(latest.groupby(["endpoint", "simulated"])["value"].agg(["mean", "count"]))
