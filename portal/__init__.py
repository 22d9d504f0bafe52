"""The auditor portal: connection logs for the legal officer in a browser, every access journaled.

Server-rendered (Starlette + Jinja2), French interface. It answers with connlog's search, export and
journal and adds no query of its own; it owns only its accounts and sessions (`portal/db.py`).
"""
