"""Sumber Data: where every number comes from (provenance ledger and published figures)."""

import streamlit as st

from kla import ui
from kla.figures import charts
from kla.views import sources

ui.page_setup("Sumber Data", "🧾")
fp = ui.database_fingerprint()
meta = ui.load_meta(fp)

st.title("Sumber data dan asal-usul angka")
st.caption(
    "Tiga jenis angka tidak pernah dicampur: **terbitan** (dengan URL sumber), **impor** (berkas, sha256, waktu) "
    "dan **DATA CONTOH** (dibuat skrip di repo, ilustratif)."
)

st.subheader("Rulebook KLA yang aktif")
st.dataframe(sources.rulebook_frame(ui.load_rulebook_info(fp)), hide_index=True)
st.caption(
    "Lembar evaluasi resmi dipasang dengan `python -m kla import rulebook LEMBAR.xlsx` "
    "(disimpan sebagai catatan kota `records/rulebook.toml`)."
)

published = ui.load_published_figures(fp)
fig = charts.source_status_bar(
    sources.status_counts(published),
    stamp=charts.Stamp(
        "Angka terbitan per indikator dan status verifikasinya",
        "data/published_figures.csv (kompilasi berita dan rilis resmi, URL per angka)",
        meta.get("built_at", "?")[:10],
    ),
)
ui.plot(fig, key="status_sumber")

st.subheader("Angka terbitan")
st.dataframe(
    published,
    hide_index=True,
    column_config={"source_url": st.column_config.LinkColumn("sumber"), "value": "nilai", "period": "periode"},
)

st.subheader("Buku besar provenans (setiap berkas yang masuk ke basis data)")
st.dataframe(sources.ledger(ui.load_provenance(fp)), hide_index=True)
ui.sidebar_footer(fp)
