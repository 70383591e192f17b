"""The ``thermoseg-edge`` command line: one module per sub-command, ``register(subparsers)``."""
