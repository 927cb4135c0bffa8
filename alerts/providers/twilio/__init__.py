"""Twilio: SMS and calls through the official client, its signed webhooks."""
