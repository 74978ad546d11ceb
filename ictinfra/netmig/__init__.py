"""The H32 network cutover: simulator fleet, backup, translate, diff, waves, rollback."""
