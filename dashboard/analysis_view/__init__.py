"""The Analysis tab: the event study, news intensity against volatility, the largest moves and the
daily geopolitical-risk index of one instrument, for the view the filters (and the chart's
visible window) describe. `data` reads and runs the analyses, `figures` and `tables` turn their
results into figures, rows and CSV, `layout` builds the tab, `callbacks` wires it."""
