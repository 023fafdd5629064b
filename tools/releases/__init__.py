"""Releases: the project's version, the published documents of each release, and the check that
a change to them keeps the promises of the last release (``make compat``, run by ``make lint``)."""
