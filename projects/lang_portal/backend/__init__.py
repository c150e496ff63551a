"""The Lang Portal API (FastAPI + SQLModel)."""
