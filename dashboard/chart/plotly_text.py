"""Untrusted text (titles, sources, labels) escaped for plotly's pseudo-HTML, so that every chart
shows it as text: one rule for hover labels, legend names and annotations."""

from __future__ import annotations

import html

import numpy as np


def hover_text(value: object) -> str:
    """Untrusted text made safe for plotly's pseudo-HTML (hover labels, legend names, annotations).

    ``<``, ``>``, ``&`` and quotes become entities that plotly.js decodes back to the characters, so a
    title like ``<script>`` or ``<a href="javascript:...">`` shows as text. Quotes use numeric entities:
    plotly.js does not decode ``&quot;``.
    """
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return html.escape(text, quote=False).replace('"', "&#34;").replace("'", "&#39;")
