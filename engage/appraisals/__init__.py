"""Citizen science and community appraisals: protocol-bound observations with review and maps,
neighbourhood appraisals on a scale of criteria, and multi-criteria mapping."""
