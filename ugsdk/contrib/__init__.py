"""Integrations with web frameworks: :mod:`ugsdk.contrib.django` and :mod:`ugsdk.contrib.flask`.

Both are thin faces over :mod:`ugsdk.contrib.web`, which does the framework-free work: the
settings, the end user of a request, the client of a request, the JSON actions, the mapping
of errors to HTTP statuses and the server-sent-events stream.
"""
