"""The codes the demo pod uses, taken from the shipped eCQM value sets where one exists.

Drawing measure codes from ``storage/data/valuesets`` (not typing them) keeps the demo
honest: a fact meant to close a gap carries a code the measure really looks for. The
few codes no shipped value set holds (COPD, heart failure, RxNorm drugs, component
LOINCs…) are written here with their standard systems.
"""
from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

VALUESET_DIR = Path(__file__).resolve().parents[1] / "data" / "valuesets"

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.nlm.nih.gov/research/umls/hcpcs"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
ACTCODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
DISCHARGE = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"


@dataclasses.dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str


@functools.lru_cache(maxsize=1)
def _valuesets() -> dict[str, dict[str, Code]]:
    """Title → code → Code, for every shipped value set."""
    found: dict[str, dict[str, Code]] = {}
    for path in sorted(VALUESET_DIR.glob("*.json")):
        resource = json.loads(path.read_text(encoding="utf-8"))
        contains = resource.get("expansion", {}).get("contains", [])
        found[resource.get("title") or resource["name"]] = {
            c["code"]: Code(c["system"], c["code"], c.get("display", "")) for c in contains
        }
    return found


# Practices' EHRs send CPT's short descriptors, not the AMA long text of the expansions
# (which runs to 300+ characters and would double the size of a large demo database).
SHORT_DISPLAYS = {
    "99212": "Office visit, established patient, level 2", "99213": "Office visit, established patient, level 3",
    "99214": "Office visit, established patient, level 4", "99215": "Office visit, established patient, level 5",
    "99391": "Preventive visit, established, infant", "99392": "Preventive visit, established, age 1-4",
    "99393": "Preventive visit, established, age 5-11", "99394": "Preventive visit, established, age 12-17",
    "99395": "Preventive visit, established, age 18-39", "99396": "Preventive visit, established, age 40-64",
    "99397": "Preventive visit, established, age 65+", "G0439": "Annual wellness visit, subsequent",
    "98966": "Telephone assessment and management, 5-10 min", "99283": "Emergency department visit, level 3",
    "99284": "Emergency department visit, level 4", "99285": "Emergency department visit, level 5",
    "45378": "Colonoscopy, flexible, diagnostic", "99406": "Tobacco cessation counseling, 3-10 min",
}


def _as_sent(code: Code) -> Code:
    short = SHORT_DISPLAYS.get(code.code) if code.system in (CPT, HCPCS) else None
    return dataclasses.replace(code, display=short) if short else code


def from_valueset(title: str, *codes: str) -> tuple[Code, ...]:
    """The named codes of a value set; fails loudly when the set or a code is missing,
    so a changed value set cannot silently make the demo miss its measure."""
    members = _valuesets().get(title)
    if members is None:
        raise KeyError(f"value set {title!r} is not in {VALUESET_DIR}")
    missing = [c for c in codes if c not in members]
    if missing:
        raise KeyError(f"value set {title!r} has no code {', '.join(missing)}")
    return tuple(_as_sent(members[c]) for c in codes)


def first_of_system(title: str, system: str, count: int) -> tuple[Code, ...]:
    """The first ``count`` codes of one system in a value set, in code order."""
    members = sorted((c for c in _valuesets()[title].values() if c.system == system), key=lambda c: c.code)
    return tuple(_as_sent(c) for c in members[:count])


@dataclasses.dataclass(frozen=True)
class CodeBook:
    """Every code the generator needs, resolved once."""

    conditions: dict[str, tuple[Code, ...]]
    office_visit: tuple[Code, ...]
    preventive_adult: dict[str, Code]
    preventive_child: dict[str, Code]
    wellness_visit: Code
    telephone_visit: Code
    ed_visit: tuple[Code, ...]
    ed_visit_snomed: Code
    inpatient: tuple[Code, ...]
    classes: dict[str, Code]
    discharges: dict[str, Code]
    hba1c: Code
    tobacco_screen: Code
    tobacco_user: tuple[Code, ...]
    tobacco_non_user: tuple[Code, ...]
    mammography: tuple[Code, ...]
    fit: Code
    sdna_fit: Code
    pap: Code
    hpv: Code
    colonoscopy: tuple[Code, ...]
    cessation_counseling: tuple[Code, ...]
    cessation_drugs: tuple[Code, ...]
    depression_follow_up: Code
    depression_referral: Code
    depression_drugs: tuple[Code, ...]
    vaccines: dict[str, Code]
    walker: Code
    payer_types: dict[str, Code]


# Standard codes not held by any shipped value set.
BP_PANEL = Code(LOINC, "85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = Code(LOINC, "8480-6", "Systolic blood pressure")
DIASTOLIC = Code(LOINC, "8462-4", "Diastolic blood pressure")
BMI = Code(LOINC, "39156-5", "Body mass index (BMI) [Ratio]")
ADULT_DEPRESSION_SCREEN = Code(LOINC, "73832-8", "Adult depression screening assessment")
ADOLESCENT_DEPRESSION_SCREEN = Code(LOINC, "73831-0", "Adolescent depression screening assessment")
SCREEN_NEGATIVE = Code(SNOMED, "428171000124102", "Depression screening negative (finding)")
SCREEN_POSITIVE = Code(SNOMED, "428181000124104", "Depression screening positive (finding)")
PHQ9 = Code(LOINC, "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]")
NEGATIVE = Code(SNOMED, "260385009", "Negative (qualifier value)")
POSITIVE = Code(SNOMED, "10828004", "Positive (qualifier value)")
LIPID_PANEL = Code(LOINC, "57698-3", "Lipid panel with direct LDL - Serum or Plasma")
GLUCOSE_METER = Code(SNOMED, "337414009", "Blood glucose meters (physical object)")
RV_MONOVALENT = Code(CVX, "119", "rotavirus, live, monovalent vaccine")
TDAP = Code(CVX, "115", "tetanus toxoid, reduced diphtheria toxoid, and acellular pertussis vaccine, adsorbed")
HPV_VACCINE = Code(CVX, "165", "Human Papillomavirus 9-valent vaccine")
ADULT_FLU = Code(CVX, "197", "influenza, high-dose seasonal, quadrivalent, preservative free")
B12_INJECTION = Code(RXNORM, "2001499", "Vitamin B 12 5 MG/ML Injectable Solution")
CLAIM_INSTITUTIONAL = Code(CLAIM_TYPE, "institutional", "Institutional")

REFERRAL_ORDERS = {
    "Cardiology": Code(SNOMED, "183519002", "Referral to cardiology service (procedure)"),
    "Endocrinology": Code(SNOMED, "183521007", "Referral to endocrinology service (procedure)"),
    "Gastroenterology": Code(SNOMED, "183532002", "Referral to gastroenterology service (procedure)"),
    "Ophthalmology": Code(SNOMED, "183545006", "Referral to ophthalmology service (procedure)"),
    "Behavioral health": Code(SNOMED, "183524004", "Referral to psychiatry service (procedure)"),
    "Pulmonology": Code(SNOMED, "183522000", "Referral to respiratory medicine service (procedure)"),
    "Nephrology": Code(SNOMED, "183542009", "Referral to nephrology service (procedure)"),
    "Orthopedics": Code(SNOMED, "183544005", "Referral to orthopedic service (procedure)"),
    "Dermatology": Code(SNOMED, "183533007", "Referral to dermatology service (procedure)"),
    "Podiatry": Code(SNOMED, "183577005", "Referral to podiatry service (procedure)"),
    "Physical therapy": Code(SNOMED, "308447003", "Referral to physiotherapist (procedure)"),
    "Nutrition": Code(SNOMED, "103699006", "Referral to dietitian (procedure)"),
}

# condition key → the usual active medications for it (RxNorm)
MEDICATIONS = {
    "hypertension": (
        Code(RXNORM, "314076", "lisinopril 10 MG Oral Tablet"),
        Code(RXNORM, "197361", "amlodipine 5 MG Oral Tablet"),
        Code(RXNORM, "979492", "losartan potassium 50 MG Oral Tablet"),
        Code(RXNORM, "316049", "Hydrochlorothiazide 25 MG"),
    ),
    "diabetes": (
        Code(RXNORM, "860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"),
        Code(RXNORM, "106892", "insulin human, isophane 70 UNT/ML / Regular Insulin, Human 30 UNT/ML Injectable Suspension"),
    ),
    "hyperlipidemia": (
        Code(RXNORM, "617310", "atorvastatin 20 MG Oral Tablet"),
        Code(RXNORM, "312961", "simvastatin 20 MG Oral Tablet"),
    ),
    "copd": (
        Code(RXNORM, "745679", "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"),
        Code(RXNORM, "896188", "fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler"),
    ),
    "asthma": (
        Code(RXNORM, "745679", "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"),
        Code(RXNORM, "895994", "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler"),
    ),
    "heart_failure": (
        Code(RXNORM, "310429", "furosemide 20 MG Oral Tablet"),
        Code(RXNORM, "200031", "carvedilol 6.25 MG Oral Tablet"),
    ),
    "adhd": (Code(RXNORM, "1091170", "methylphenidate hydrochloride 10 MG Oral Tablet"),),
}
OVER_THE_COUNTER = (
    Code(RXNORM, "243670", "aspirin 81 MG Oral Tablet"),
    Code(RXNORM, "313782", "Acetaminophen 325 MG Oral Tablet"),
    Code(RXNORM, "310965", "Ibuprofen 200 MG Oral Tablet"),
    Code(RXNORM, "849574", "Naproxen sodium 220 MG Oral Tablet"),
    Code(RXNORM, "310325", "ferrous sulfate 325 MG Oral Tablet"),
    Code(RXNORM, "1049630", "diphenhydrAMINE Hydrochloride 25 MG Oral Tablet"),
)
ALLERGIES = (
    Code(SNOMED, "91936005", "Allergy to penicillin (finding)"),
    Code(SNOMED, "294505008", "Allergy to sulfonamide (finding)"),
    Code(SNOMED, "300913006", "Shellfish allergy"),
    Code(SNOMED, "91935009", "Allergy to peanuts"),
    Code(SNOMED, "418689008", "Allergy to grass pollen"),
    Code(SNOMED, "419263009", "Allergy to tree pollen"),
    Code(SNOMED, "232347008", "Dander (animal) allergy"),
    Code(SNOMED, "232350006", "House dust mite allergy"),
    Code(SNOMED, "300916003", "Latex allergy"),
    Code(SNOMED, "424213003", "Allergy to bee venom"),
    Code(SNOMED, "425525006", "Allergy to dairy product"),
    Code(SNOMED, "419474003", "Allergy to mould"),
)


@functools.lru_cache(maxsize=1)
def codebook() -> CodeBook:
    vs = from_valueset
    conditions = {
        "hypertension": vs("Essential Hypertension", "I10", "59621000"),
        "diabetes": vs("Diabetes", "E11.9", "44054006"),
        "diabetes_type1": vs("Diabetes", "E10.9", "46635009"),
        "copd": (Code(ICD10CM, "J44.9", "Chronic obstructive pulmonary disease, unspecified"),
                 Code(SNOMED, "13645005", "Chronic obstructive lung disease (disorder)")),
        "heart_failure": (Code(ICD10CM, "I50.9", "Heart failure, unspecified"),
                          Code(SNOMED, "84114007", "Heart failure (disorder)")),
        "depression": (Code(ICD10CM, "F32.A", "Depression, unspecified"),
                       Code(SNOMED, "35489007", "Depressive disorder (disorder)")),
        "asthma": (Code(ICD10CM, "J45.909", "Unspecified asthma, uncomplicated"),
                   Code(SNOMED, "195967001", "Asthma (disorder)")),
        "ckd": (Code(ICD10CM, "N18.30", "Chronic kidney disease, stage 3 unspecified"),
                Code(SNOMED, "433144002", "Chronic kidney disease stage 3 (disorder)")),
        "hyperlipidemia": (Code(ICD10CM, "E78.5", "Hyperlipidemia, unspecified"),
                           Code(SNOMED, "55822004", "Hyperlipidemia (disorder)")),
        "obesity": (Code(ICD10CM, "E66.9", "Obesity, unspecified"),
                    Code(SNOMED, "414916001", "Obesity (disorder)")),
        "adhd": (Code(ICD10CM, "F90.9", "Attention-deficit hyperactivity disorder, unspecified type"),
                 Code(SNOMED, "406506008", "Attention deficit hyperactivity disorder (disorder)")),
    }
    pa = vs("Preventive Care Services Established Office Visit, 18 and Up", "99395", "99396", "99397")
    pc = vs("Preventive Care, Established Office Visit, 0 to 17", "99391", "99392", "99393", "99394")
    imm = {
        "hepb": vs("Hepatitis B Vaccine", "08")[0],
        "dtap": vs("DTaP Vaccine", "20")[0],
        "ipv": vs("Inactivated Polio Vaccine (IPV)", "10")[0],
        "hib": vs("Hib Vaccine (3 dose schedule)", "49")[0],
        "pcv": vs("Pneumococcal Conjugate Vaccine", "133")[0],
        "rv": RV_MONOVALENT,
        "flu": vs("Child Influenza Vaccine", "150")[0],
        "mmr": vs("Measles, Mumps and Rubella (MMR) Vaccine", "03")[0],
        "vzv": vs("Varicella Zoster Vaccine (VZV)", "21")[0],
        "hepa": vs("Hepatitis A Vaccine", "83")[0],
    }
    return CodeBook(
        conditions=conditions,
        office_visit=vs("Office Visit", "99212", "99213", "99214", "99215"),
        preventive_adult={"18-39": pa[0], "40-64": pa[1], "65+": pa[2]},
        preventive_child={"0": pc[0], "1-4": pc[1], "5-11": pc[2], "12-17": pc[3]},
        wellness_visit=vs("Annual Wellness Visit", "G0439")[0],
        telephone_visit=first_of_system("Telephone Visits", CPT, 1)[0],
        ed_visit=vs("Emergency Department Evaluation and Management Visit", "99283", "99284", "99285"),
        ed_visit_snomed=vs("Emergency Department Evaluation and Management Visit", "4525004")[0],
        inpatient=vs("Encounter Inpatient", "32485007", "183452005"),
        classes={
            "AMB": Code(ACTCODE, "AMB", "ambulatory"), "EMER": Code(ACTCODE, "EMER", "emergency"),
            "IMP": Code(ACTCODE, "IMP", "inpatient encounter"), "VR": Code(ACTCODE, "VR", "virtual"),
        },
        discharges={
            "home": Code(DISCHARGE, "home", "Home"), "snf": Code(DISCHARGE, "snf", "Skilled nursing facility"),
            "rehab": Code(DISCHARGE, "rehab", "Rehabilitation"), "long": Code(DISCHARGE, "long", "Long-term care"),
            "aadvice": Code(DISCHARGE, "aadvice", "Left against advice"),
            "hospice": Code(SNOMED, "428361000124107", "Discharge to home for hospice care (procedure)"),
        },
        hba1c=vs("HbA1c Laboratory Test", "4548-4")[0],
        tobacco_screen=vs("Tobacco Use Screening", "72166-2")[0],
        tobacco_user=vs("Tobacco User", "77176002", "449868002"),
        tobacco_non_user=vs("Tobacco Non User", "8517006", "266919005"),
        mammography=vs("Mammography", "24606-6", "26175-0"),
        fit=vs("Fecal Occult Blood Test (FOBT)", "29771-3")[0],
        sdna_fit=vs("sDNA FIT Test", "77354-9")[0],
        pap=vs("Pap Test", "10524-7")[0],
        hpv=vs("HPV Test", "59420-0")[0],
        colonoscopy=vs("Colonoscopy", "45378", "73761001"),
        cessation_counseling=vs("Tobacco Use Cessation Counseling", "99406", "225323000"),
        cessation_drugs=tuple(sorted(
            (c for c in _valuesets()["Tobacco Use Cessation Pharmacotherapy"].values()
             if "varenicline" in c.display.lower() or "nicotine" in c.display.lower()),
            key=lambda c: c.code))[:6],
        depression_follow_up=vs("Follow Up for Adult Depression", "385724002")[0],
        depression_referral=vs("Referral for Adult Depression", "183524004")[0],
        depression_drugs=tuple(sorted(
            (c for c in _valuesets()["Adult Depression Medications"].values()
             if any(n in c.display.lower() for n in ("sertraline 50", "escitalopram 10", "fluoxetine 20",
                                                      "citalopram 20", "bupropion"))),
            key=lambda c: c.code))[:8],
        vaccines=imm,
        walker=vs("Frailty Device", "1255320005")[0],
        payer_types=dict(zip(("medicare", "medicaid", "commercial", "self-pay"),
                             vs("Payer Type", "1", "2", "5", "81"))),
    )
