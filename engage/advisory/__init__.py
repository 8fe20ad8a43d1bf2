"""Standing advisory groups: terms, meetings, and recommendations that must be answered."""
