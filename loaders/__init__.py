"""One module per source format. FORMATS maps the `termbridge load FORMAT`
names to the module that reads that format.

A module has KIND ("code_system", "value_set" or "map_set"), detect(path),
read_metadata(path, version) and read(path) -> rows; a format whose files hold
several kinds of resource (FHIR packages) has run(store, path, **options)
returning a list of LoadSummary instead."""

from loaders import crosswalk_csv, fhir, icd10cm_xml, local_csv, loinc_csv, snomed_rf2, sssom

FORMATS = {
    "icd10cm-xml": icd10cm_xml,
    "sssom": sssom,
    "fhir": fhir,
    "local-csv": local_csv,
    "crosswalk-csv": crosswalk_csv,
    "snomed-rf2": snomed_rf2,
    "loinc-csv": loinc_csv,
}
ALL_FORMAT_NAMES = ("icd10cm-xml", "snomed-rf2", "loinc-csv", "fhir", "local-csv", "sssom", "crosswalk-csv")
