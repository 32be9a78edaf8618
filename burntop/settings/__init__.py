"""Settings pages: what a signed-in person controls about their account."""
