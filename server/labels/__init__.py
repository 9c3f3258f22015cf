"""HL7 DS4P security labels for data segmentation (42 CFR Part 2 and others):
sensitivity categories from versioned value sets, confidentiality as the
high-water mark, policies and handling from the provenance context, and the
evidence behind every label."""

from server.labels.fhir import FhirLabels, label_fhir
from server.labels.labeler import Labeler
from server.labels.model import Code, Context, Element, Evidence, Labels

__all__ = ["Code", "Context", "Element", "Evidence", "FhirLabels", "Labeler", "Labels", "label_fhir"]
