-- Fragment, not a query: the per-month counts of nutrition_base_counts.sql (used for both levels).
           count(*) AS measured,
           count(*) FILTER (haz IS NOT NULL AND NOT flag_haz) AS n_haz,
           count(*) FILTER (NOT flag_haz AND haz < -2) AS stunted,
           count(*) FILTER (NOT flag_haz AND haz < -3) AS severe_stunted,
           count(*) FILTER (whz IS NOT NULL AND NOT flag_whz) AS n_whz,
           count(*) FILTER (NOT flag_whz AND whz < -2) AS wasted,
           count(*) FILTER (NOT flag_whz AND whz < -3) AS severe_wasted,
           count(*) FILTER (waz IS NOT NULL AND NOT flag_waz) AS n_waz,
           count(*) FILTER (NOT flag_waz AND waz < -2) AS underweight,
           count(*) FILTER (flag_haz) AS implausible_haz,
           count(*) FILTER (flag_whz) AS implausible_whz,
           count(*) FILTER (flag_waz) AS implausible_waz
