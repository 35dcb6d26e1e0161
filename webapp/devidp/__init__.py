"""The development identity provider (see ``provider.py``); imported only in development."""
