"""Links that restore the view: selections in the URL query string, and the "Salin tautan" box.

Each run: :func:`start` (from ``page_setup``) notices a newly opened link (the query differs from
the one this session last wrote: a typed or shared URL, a reload, the browser's Back button) and
keeps its known values as *pending*; each selection's :func:`kla.ui.keys.ensure_default` then takes
its pending value when it is one of the page's own options (else the default, with a notice) and
notes the value in place; :func:`commit` (from ``sidebar_footer``) writes those values to the URL in
one go, so the URL names exactly what the page shows, and draws the link to copy.

Values are judged by :mod:`kla.core.links` (an equality lookup among the options; never parsed,
never sent to the database). Parameter names per selection: :data:`kla.ui.keys.URL_PARAMS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from kla.core import links as url
from kla.ui import keys
from kla.ui.keys import Links

Query = dict[str, list[str]]


def _query_now() -> Query:
    """The URL's query as Streamlit holds it (every value of a repeated name)."""
    params = st.query_params
    return {name: params.get_all(name) for name in params}


def notice(text: str) -> None:
    """Show a short notice at the top of the page (``text`` repeats link input only through
    :func:`kla.core.links.shown`, inside a code span)."""
    box = st.session_state.get(Links.NOTICES)
    (box if box is not None else st).info(text, icon=":material/link_off:")


def start() -> None:
    """First step of every run: the notice box, and the values of a newly opened link."""
    st.session_state[Links.NOTICES] = st.container()
    st.session_state[Links.WANT] = {}
    pending: dict[str, str] = {}
    now = _query_now()
    if now != st.session_state.get(Links.SEEN):
        incoming = url.read_query(now)
        pending = incoming.values
        for text in incoming.notices:
            notice(text)
        # taken once: a rerun of the same URL (a widget change) must not undo the user's choice
        st.session_state[Links.SEEN] = now
    st.session_state[Links.PENDING] = pending


def _hook(
    key: str, param: str, options: Sequence[Any] | url.NumberRange, default: Any, token: url.Token, before: bool
) -> None:
    """:data:`kla.ui.keys.LINK_HOOK`: take a pending value before a selection settles, note it after."""
    if before:
        pending: dict[str, str] = st.session_state.get(Links.PENDING) or {}
        if param not in pending:
            return
        result = url.resolve(param, pending.pop(param), options, default, token)
        st.session_state[key] = result.option if result.ok else default
        if result.notice:
            notice(result.notice)
        return
    want: dict[str, tuple[str, bool]] = st.session_state.setdefault(Links.WANT, {})
    written = token(st.session_state[key])
    if written is None:
        want.pop(param, None)
    else:
        want[param] = (written, written == token(default))


keys.LINK_HOOK[:] = [_hook]


def _base_url() -> str | None:
    """The page's address without its query (``None`` where the browser did not say, e.g. in AppTest)."""
    try:
        return st.context.url or None
    except Exception:  # noqa: BLE001 - an older or test runtime without the field: a relative link
        return None


def commit() -> str:
    """Write this run's selections to the URL (one change, only when it differs) and draw the link.

    The address bar holds the choices that differ from the defaults, and any parameter it already
    named (:func:`kla.core.links.address_bar`); parameters no selection of this page took (unknown,
    refused, or another page's) leave it. The "Salin tautan" box shows every selection, so the
    shared view stays the same when new data changes a default. Returns the link shown.
    """
    chosen: dict[str, tuple[str, bool]] = dict(st.session_state.get(Links.WANT) or {})
    now = {k: v for k, v in _query_now().items() if k not in url.QUIET}
    bar = url.address_bar(chosen, now)
    if now != {k: [v] for k, v in bar.items()}:
        st.query_params.from_dict(bar)  # one history entry; Streamlit keeps its own embed parameters
    st.session_state[Links.SEEN] = _query_now()
    want = {param: tok for param, (tok, _) in chosen.items()}
    base = _base_url()
    shared = url.link(base, want)
    with st.sidebar.expander("Salin tautan", icon=":material/link:"):
        if want:
            st.caption("Tautan ini membuka halaman ini dengan pilihan yang sama (tahun, wilayah, ukuran, …).")
        else:
            st.caption("Halaman ini tidak punya pilihan untuk disimpan di tautan.")
        if shared:
            st.code(shared, language=None, wrap_lines=True)
        if base is None and want:
            st.caption("Alamat server tidak diketahui: tempelkan bagian `?…` ini di belakang alamat halaman.")
    return shared
