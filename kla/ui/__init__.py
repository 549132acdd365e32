"""Streamlit glue: with the pages, the only code that imports streamlit.

Pages draw widgets, ask :mod:`kla.views` for frames and texts and :mod:`kla.figures` for figures;
they hold no SQL and no logic of their own. This package gives them the rest, one role a module:

* :mod:`kla.ui.keys`: every session-state and widget key, and ``ensure_default`` for selections
  (which also takes a selection from a shared link and notes it for the URL);
* :mod:`kla.ui.links`: the link that restores the view (URL query string, notices, "Salin tautan");
* :mod:`kla.ui.page`: page config, the sidebar menu (``NAV``) and the clear stop (``fail``);
* :mod:`kla.ui.loaders`: the read-only connection (keyed on the database fingerprint, so a rebuilt
  file is picked up without a restart) and the cached loaders over it;
* :mod:`kla.ui.widgets`: figures with a PNG download, the sidebar pickers and footer;
* :mod:`kla.ui.scenarios`: the saved what-if scenarios (their own store, not the database);
* :mod:`kla.ui.admin`: the admin gate (password box, admin session, audit records);
* :mod:`kla.ui.manage`: the import panel of the Kelola Data page (every kind of file, the CLI's importers);
* :mod:`kla.ui.peers`: the city among the kabupaten/kota of its province.
"""
