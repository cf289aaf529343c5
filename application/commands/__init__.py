"""Command-line subcommands built on the application layer (registered in ``main.COMMANDS``).

Each module has ``add_arguments(parser)`` and ``run(args) -> int`` (0 success, 1 partly done,
2 a user error such as an unknown practice, staff member or patient, named in one sentence,
3 the database or the disk could not be used: damaged, read-only, full; nothing changed).
"""


def open_to_read(args, command: str):
    """The Pod named by ``--db``, opened read-only (never created, never upgraded), or None
    after saying in one sentence why not (the command then exits 2)."""
    import sys

    from application.pod import NotACarepodDatabase, open_pod

    try:
        return open_pod(args.db, create=False, read_only=True)
    except NotACarepodDatabase as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None
