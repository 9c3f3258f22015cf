"""The terminologists' workflow over map sets: propose candidates, review them
in a queue, publish immutable versions, diff, export and import.

Each map set NAME has one working draft (version "draft", never active, never
published) and any number of published versions (immutable, published_at set;
the active one is the latest). Reviews change the draft only."""
