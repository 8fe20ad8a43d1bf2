"""Co-design rounds: residents shape the mission statement, with opinion mapping and a traceable rationale."""
