"""Qualitative evaluation: the evidence index, themes, coding, outcomes and evidence packages."""
