"""Code every app-dw application shares: settings, logging, health, auth and AWS access."""
