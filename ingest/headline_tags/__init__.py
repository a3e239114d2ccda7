"""Headline tags: the geopolitical-risk rules (the paper's and the headline tagger), topics,
sentiment, the tags stored with every headline, and the daily risk index built from them."""
