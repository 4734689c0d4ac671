"""The ``commerce`` command-line adapter (entry point ``cli.main:main``)."""
