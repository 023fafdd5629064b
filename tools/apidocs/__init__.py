"""The published API documents, generated at build time: the OpenAPI document (``make openapi``)
and the event schemas (``make event-schemas``). Never imported by the functions.
"""
