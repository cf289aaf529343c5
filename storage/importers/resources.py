"""Which mapping handles which resource type, and in which order a file's resources are
written (what others refer to goes first: practitioners, patients, then encounters)."""
from __future__ import annotations

from storage.importers import claims, encounters, facts, medications, organizations, patients, requests
from storage.importers.plans import SkipPlan

MAPPERS = {
    "Organization": organizations.reference_only,
    "Location": organizations.reference_only,
    "PractitionerRole": organizations.reference_only,
    "Medication": organizations.reference_only,
    "Device": organizations.reference_only,
    "Practitioner": organizations.practitioner,
    "Patient": patients.patient,
    "Encounter": encounters.encounter,
    "Condition": facts.condition,
    "Observation": facts.observation,
    "Procedure": facts.procedure,
    "Immunization": facts.immunization,
    "AllergyIntolerance": facts.allergy,
    "DiagnosticReport": facts.diagnostic_report,
    "MedicationRequest": medications.medication_request,
    "MedicationStatement": medications.medication_statement,
    "MedicationAdministration": medications.medication_administration,
    "MedicationDispense": medications.medication_dispense,
    "DeviceRequest": requests.device_request,
    "ServiceRequest": requests.service_request,
    "Coverage": claims.coverage,
    "Claim": claims.claim,
    "ExplanationOfBenefit": claims.claim,
}

# resources kept in memory for the whole import so later files can resolve them
REFERENCE_ONLY = frozenset({"Organization", "Location", "PractitionerRole", "Medication", "Device"})

PHASES = (
    frozenset({"Organization", "Location", "PractitionerRole", "Medication", "Device", "Practitioner"}),
    frozenset({"Patient"}),
    frozenset({"Encounter"}),
)


_PHASE_OF = {name: index for index, types in enumerate(PHASES) for name in types}


def phase_of(resource_type: str) -> int:
    return _PHASE_OF.get(resource_type, len(PHASES))


def map_resource(resource: dict, ctx):
    mapper = MAPPERS.get(resource["resourceType"])
    if mapper is None:
        return SkipPlan(f"{resource['resourceType']} is not imported by Carepod")
    return mapper(resource, ctx)


# Every FHIR R4 resource type: one of these that Carepod does not map is skipped with a
# warning; any other name is not FHIR and the resource is rejected.
R4_TYPES = frozenset("""
Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse AuditEvent
Basic Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan CareTeam
CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse ClinicalImpression CodeSystem
Communication CommunicationRequest CompartmentDefinition Composition ConceptMap Condition Consent
Contract Coverage CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device
DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest
DocumentReference EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest EnrollmentResponse
EpisodeOfCare EventDefinition Evidence EvidenceVariable ExampleScenario ExplanationOfBenefit
FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse HealthcareService
ImagingStudy Immunization ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide
InsurancePlan Invoice Library Linkage List Location Measure MeasureReport Media Medication
MedicationAdministration MedicationDispense MedicationKnowledge MedicationRequest MedicationStatement
MedicinalProduct MedicinalProductAuthorization MedicinalProductContraindication
MedicinalProductIndication MedicinalProductIngredient MedicinalProductInteraction
MedicinalProductManufactured MedicinalProductPackaged MedicinalProductPharmaceutical
MedicinalProductUndesirableEffect MessageDefinition MessageHeader MolecularSequence NamingSystem
NutritionOrder Observation ObservationDefinition OperationDefinition OperationOutcome Organization
OrganizationAffiliation Parameters Patient PaymentNotice PaymentReconciliation Person PlanDefinition
Practitioner PractitionerRole Procedure Provenance Questionnaire QuestionnaireResponse RelatedPerson
RequestGroup ResearchDefinition ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment
RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen SpecimenDefinition
StructureDefinition StructureMap Subscription Substance SubstanceNucleicAcid SubstancePolymer
SubstanceProtein SubstanceReferenceInformation SubstanceSourceMaterial SubstanceSpecification
SupplyDelivery SupplyRequest Task TerminologyCapabilities TestReport TestScript ValueSet
VerificationResult VisionPrescription
""".split())


def looks_like_type(name: str) -> bool:
    return bool(name) and name[0].isupper() and name.isalpha()
