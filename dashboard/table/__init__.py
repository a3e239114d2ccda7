"""The headlines-table feature: the paged table and the headline's detail panel."""
