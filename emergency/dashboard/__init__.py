"""The command center's view of one warning: the summary figures (API) and the live board (console)."""
