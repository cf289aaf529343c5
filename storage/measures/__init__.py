"""The measure engine: value sets and definitions in the database, set-based SQL evaluation,
gaps in care with evidence, pod-peer rates and FHIR MeasureReports."""
