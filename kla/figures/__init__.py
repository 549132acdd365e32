"""Every plotly figure builder."""
