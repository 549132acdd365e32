"""Figures for people outside the dashboard: press-ready PNG images and media packs (``export``)."""
