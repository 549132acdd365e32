"""The pure domain: rulebook, scoring, planner, what-if, crosswalk, anthropometry, wilayah, formats."""
