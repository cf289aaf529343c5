"""The deterministic synthetic demo pod (``python main.py demo``).

``generate.create_demo_pod`` builds a whole pod — practices, clinicians, staff,
patients, clinical facts and workflow records — from a seed, into a temporary
file that replaces the target only when complete. Every value comes from
``random.Random`` streams seeded by the arguments and from ``REFERENCE_DATE``,
never from the clock, so the same arguments give the same rows.
"""
