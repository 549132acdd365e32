"""Kelola Data: import files in the browser behind the admin password; every source and the audit log."""

import streamlit as st

from kla.ui.admin import admin_login
from kla.ui.keys import Manage
from kla.ui.loaders import database_fingerprint, load_provenance
from kla.ui.manage import import_panel, recent_audit
from kla.ui.page import page_setup
from kla.ui.widgets import sidebar_footer
from kla.views import manage

page_setup("Kelola Data", "🗂️")
fp = database_fingerprint()

st.title("Kelola data")
st.caption(
    "Impor ekspor e-PPGBM, rekap bulanan, nilai KLA, lembar rulebook resmi atau batas wilayah lewat peramban. "
    "Melihat halaman ini tidak perlu masuk; setiap perubahan data perlu kata sandi admin dan dicatat di log audit. "
    "Impor memakai fungsi yang sama dengan baris perintah; basis data lama tetap utuh bila berkas ditolak."
)

st.subheader("Akses admin")
admin = admin_login()

st.subheader("Impor berkas")
import_panel(fp, admin=admin)

entries = recent_audit(500)
st.subheader("Sumber di basis data")
st.dataframe(
    manage.sources_frame(load_provenance(fp), manage.importers_by_sha(entries)),
    hide_index=True,
    width="stretch",
    key=Manage.SOURCES,
)
st.caption(
    "Setiap berkas yang masuk: jenis, isi, nama berkas, sha256, jumlah baris, siapa yang mengimpor (unggahan di "
    "halaman ini tercatat sebagai admin) dan waktunya."
)

st.subheader("Log audit terbaru")
st.dataframe(manage.audit_frame(entries[-50:]), hide_index=True, width="stretch", key=Manage.AUDIT)
st.caption(
    "50 entri terakhir: impor, perubahan skenario dan setiap percobaan kata sandi admin. Log tidak memuat data "
    "pribadi (tanpa isi sel berkas, NIK atau nama)."
)
sidebar_footer(fp)
