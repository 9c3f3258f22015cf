"""One module per source format. FORMATS maps the `termbridge load FORMAT`
names to the module that reads that format."""

from loaders import icd10cm_xml

FORMATS = {
    "icd10cm-xml": icd10cm_xml,
}
ALL_FORMAT_NAMES = ("icd10cm-xml", "snomed-rf2", "loinc-csv", "fhir", "local-csv", "sssom", "crosswalk-csv")
