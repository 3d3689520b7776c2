"""The run the cost-estimate tests price by hand: two items asked for a work sample, in English,
3 replications, max_tokens 100 (a work sample's answer estimate), no reversed scale (work
samples have none). Each template's system message (400 characters) is the same for every call
of the template; the user message differs after its first 23 characters ("Describe how you
would ")."""

from __future__ import annotations

from llmruns.models import Run


def work_sample_run(endpoints: list[dict], *, systems: str = "S", rotate: bool = False) -> Run:
    """An unsaved run over the endpoints' configurations, one template per letter of systems
    (its system message that letter 400 times)."""
    config = {
        "items": {
            "1": {"en": {"activity": "a", "task": "aaaa"}},
            "2": {"en": {"activity": "b", "task": "bbbb"}},
        },
        "languages": ["en"],
        "kinds": ["work_sample"],
        "scales": {},
        "templates": {
            f"work_sample/en/{number}": {
                "system": letter * 400,
                "user": "Describe how you would {task}.",
                "version": 1,
            }
            for number, letter in enumerate(systems, start=1)
        },
        "endpoints": endpoints,
    }
    return Run(config=config, replications=3, max_tokens=100, rotate_templates=rotate)
