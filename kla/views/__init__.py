"""One pure module per page: frames and texts the page shows, from frames the loaders read."""
