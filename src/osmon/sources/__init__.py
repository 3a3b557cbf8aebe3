"""Sources: produce batches of records with an ack/nack handle. They never import a sink."""
