"""Outgoing mail: tenant-branded messages rendered from templates, sent by SMTP or written to a dev outbox."""
