"""The filter-bar feature: the filters, the URL and the view state kept in step."""
