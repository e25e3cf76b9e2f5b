"""What a sweep produces: the frozen result model, its JSON format, the journal and saving."""
