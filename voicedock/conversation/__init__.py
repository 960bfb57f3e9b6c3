"""Call sessions: what runs for the length of one call, ignorant of Asterisk and of where engines run."""
