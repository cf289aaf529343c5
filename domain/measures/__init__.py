"""Quality measures as data: definitions (JSON in ``definitions/``) and the small pure rules
the engine in :mod:`storage.measures` needs (periods and CQL calendar arithmetic, population
logic, medication periods, evidence wording)."""
