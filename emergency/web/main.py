"""The ASGI application for uvicorn: `uvicorn emergency.web.main:app` (settings from the environment)."""
from emergency.web.app import create_app

app = create_app()
