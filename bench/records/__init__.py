"""What a run leaves behind, and how it is read: the schema's names, the journal of cases, the tidy tables."""
