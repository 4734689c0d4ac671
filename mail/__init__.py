"""The mails the platform sends for its tenants: what each says (service, templates) and how it leaves (sender, outbox).

A domain package: the Celery tasks that send them are thin adapters in ``workers/mail/tasks.py``.
"""
