"""MatchText: free-text problem entries to ranked SNOMED CT / ICD-10-CM / Gravity
SDOH codes with calibrated confidence.

Pipeline (matcher.Matcher, one batch at a time):
  1. normalize + assertion (ConText-style cues: negated, historical, uncertain, family), and
     what a coder reads into the entry (implied: trimester of a gestational age, spinal region;
     poisoning: a drug's class and the intent; mental: psychiatric wording in ICD-10-CM's words);
  2. abbreviations (mappings/abbreviations.tsv, every sense kept) and spelling;
  3. candidates over all designations (index, candidates): exact, order-free,
     character n-gram and word TF-IDF;
  4. features + a learned re-ranker (features, rerank, forest), and the coder's rules on top
     (a code that has what the entry is without scores less; a stated sibling outranks its
     unspecified code, a default sibling the code that has what the entry is silent on, an
     entry stating a trimester stays in the pregnancy chapter, remission is never assumed:
     specific; an external cause never first, a fracture traumatic unless said otherwise: injury);
  5. isotonic calibration and the auto / review / no_match decision.
The index is built once per content version and kept next to the database
(content, index); service.MatchService is what the Engine holds."""
