"""Sub-commands of ``thermoseg-edge``; each module exposes ``register(subparsers)``."""
