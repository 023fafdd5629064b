"""Tests of the build-time tools in tools/ (releases, the runtime Python, the browser)."""
