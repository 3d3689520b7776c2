"""`python -m llmruns.mockserver`: run the mock LLM server on its own."""

from __future__ import annotations

from llmruns.mockserver.cli import main

if __name__ == "__main__":
    main()
