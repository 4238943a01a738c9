"""Runtimes for one set of ingest stages: inline (one process) or Ray actors.

``records`` holds the serialisable records that pass between stages, ``stages`` the plain
stage classes, ``inline`` and ``ray_actors`` the two runtimes that compose them. Only
``ray_actors`` imports Ray, and only when it is used.
"""
