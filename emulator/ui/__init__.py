"""The web dashboard for local development, served at `/_emulator/ui/`."""
