-- Published stunting figures for one area, survey and routine kept as separate series.
SELECT indicator, period, value_num AS value, unit, denominator, source_kind, status, source_url, note
FROM published_figure
WHERE area_code = $area AND indicator IN ('stunting_prevalence_survey', 'stunting_prevalence_routine',
                                          'stunting_cases_routine', 'severe_wasting_cases')
ORDER BY indicator, period
