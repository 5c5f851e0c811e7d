// The spool's intake. See docs/architecture.md.
