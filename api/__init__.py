"""The carerota HTTP service and roster viewer.

``api.main.create_app(settings)`` builds the FastAPI app; ``carerota serve`` runs it and
``carerota keys create --tenant NAME`` issues API keys (see ``api.cli``). This package
imports nothing at load time: solver processes import ``api.jobs`` without FastAPI.
"""
