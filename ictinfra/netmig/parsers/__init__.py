"""Configuration parsers, one per source platform family, into the neutral model."""
