"""One router per resource of the Lang Portal API."""
