"""Real local servers and fakes that the test-suite runs against."""
