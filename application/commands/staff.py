"""``python main.py staff [--db PATH]``: the pod's staff (name, roles, practices covered, active).

``staff --add NAME --roles care_manager,nurse [--practices OAK,ELM] [--email ADDRESS] --as NAME``
adds a staff member (audited as the ``--as`` staff member); a pod with no staff yet takes its
first member without ``--as`` (who is then recorded as having added themselves). The window's
Administration ▸ Staff page does the same and more (edit, deactivate).
"""
from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    parser.add_argument("--add", metavar="NAME", help="add a staff member with this name")
    parser.add_argument("--roles", default="", help="with --add: comma-separated roles "
                        "(care_manager, nurse, pharmacist, social_worker, administrator, practice_viewer)")
    parser.add_argument("--practices", default="", help="with --add: comma-separated codes of the practices covered")
    parser.add_argument("--email", default="", help="with --add: e-mail address")


def run(args) -> int:
    from application.pod import Pod
    from application.staff import active_staff_names, add_staff, staff_list
    from domain.errors import DomainError
    from storage.queries.database import NotACarepodDatabase, open_existing_carepod_database

    try:
        engine = open_existing_carepod_database(args.db)
    except NotACarepodDatabase as exc:
        print(f"carepod staff: {exc}", file=sys.stderr)
        return 2
    pod = Pod(engine, str(args.db or engine.url.database))
    try:
        if not args.add:
            rows = staff_list(pod)
            if not rows:
                print("No staff yet: add the first with --add NAME --roles ROLE.")
            for row in rows:
                print(f"{row.name}\t{','.join(row.roles)}\t{','.join(row.practice_codes) or '-'}\t"
                      f"{'active' if row.active else 'inactive'}")
            return 0
        actor = args.as_name
        if actor is None:
            if active_staff_names(pod):
                print("carepod staff: say who is adding the staff member with --as NAME "
                      f"(the active staff are: {', '.join(active_staff_names(pod))})", file=sys.stderr)
                return 2
            actor = " ".join(args.add.split())  # the pod's first staff member adds themselves
        codes = [c.strip().upper() for c in args.practices.split(",") if c.strip()]
        ids = _practice_ids(engine, codes)
        saved = add_staff(pod.with_actor(actor), name=args.add,
                          roles=[r.strip() for r in args.roles.split(",") if r.strip()],
                          practice_ids=ids, email=args.email)
        print(f"Added {saved.name} to the pod's staff.")
        return 0
    except DomainError as exc:
        print(f"carepod staff: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def _practice_ids(engine, codes: list[str]) -> list[int]:
    from domain.errors import DomainError
    from storage.queries.gaps import practice_choices

    known = {code: pid for pid, code, _name in practice_choices(engine)}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DomainError(f"No practice with code {unknown[0]}; the practices are: {', '.join(sorted(known)) or 'none yet'}.")
    return [known[c] for c in codes]
