"""Sumber Data: where every number comes from (provenance ledger and published figures)."""

import streamlit as st

from kla.figures import charts
from kla.ui.keys import Sources
from kla.ui.loaders import (
    database_fingerprint,
    load_meta,
    load_provenance,
    load_published_figures,
    load_rulebook_info,
)
from kla.ui.media import media_pack_section
from kla.ui.page import page_setup
from kla.ui.widgets import plot, sidebar_footer
from kla.views import sources

page_setup("Sumber Data", "🧾")
fp = database_fingerprint()
meta = load_meta(fp)

st.title("Sumber data dan asal-usul angka")
st.caption(
    "Tiga jenis angka tidak pernah dicampur: **terbitan** (dengan URL sumber), **impor** (berkas, sha256, waktu) "
    "dan **DATA CONTOH** (dibuat skrip di repo, ilustratif)."
)

st.subheader("Rulebook KLA yang aktif")
st.dataframe(sources.rulebook_frame(load_rulebook_info(fp)), hide_index=True)
st.caption(
    "Lembar evaluasi resmi dipasang dengan `python -m kla import rulebook LEMBAR.xlsx` "
    "(disimpan sebagai catatan kota `records/rulebook.toml`)."
)

published = load_published_figures(fp)
fig = charts.source_status_bar(
    sources.status_counts(published),
    stamp=charts.Stamp(
        "Angka terbitan per indikator dan status verifikasinya",
        "data/published_figures.csv (kompilasi berita dan rilis resmi, URL per angka)",
        meta.get("built_at", "?")[:10],
    ),
)
plot(fig, key=Sources.STATUS)

st.subheader("Angka terbitan")
st.dataframe(
    published,
    hide_index=True,
    column_config={"source_url": st.column_config.LinkColumn("sumber"), "value": "nilai", "period": "periode"},
)

st.subheader("Buku besar provenans (setiap berkas yang masuk ke basis data)")
st.dataframe(sources.ledger(load_provenance(fp)), hide_index=True)
sidebar_footer(fp)
media_pack_section()  # "Paket media": every sourced chart of this page as one zip
