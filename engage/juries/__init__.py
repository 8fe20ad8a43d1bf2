"""Citizens' juries: volunteer pool, quotas, fair selection, verifiable draws, panels and reserves."""
