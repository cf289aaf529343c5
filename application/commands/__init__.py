"""Command-line subcommands built on the application layer (registered in ``main.COMMANDS``).

Each module has ``add_arguments(parser)`` and ``run(args) -> int`` (0 success, 1 partly done,
2 a user error such as an unknown practice, staff member or patient, named in one sentence).
"""
