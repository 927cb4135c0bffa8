"""Staff accounts, their roles and areas, sign-in, sessions and API tokens, and who may do what."""
