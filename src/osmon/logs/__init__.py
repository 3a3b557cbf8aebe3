"""Log collection: parsing (formats, multiline assembly, ECS documents) and file tailing."""
