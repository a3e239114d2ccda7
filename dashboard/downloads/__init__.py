"""The downloads feature: CSV files of the prices, headlines and moves in view."""
