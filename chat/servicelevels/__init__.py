"""Service levels: business hours, away mode and automatic assignment with capacity."""
