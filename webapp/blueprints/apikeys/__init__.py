"""The API page of the mass view: API keys (ITB 1.2.2)."""
