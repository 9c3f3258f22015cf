"""Code translation (FHIR $translate): curated and official maps, chains,
hierarchy, Gravity SDOH rules; see server.translate.resolve for the order."""

from server.translate.model import Coding, Match, Provenance, Translation
from server.translate.translator import Translator

__all__ = ["Coding", "Match", "Provenance", "Translation", "Translator"]
