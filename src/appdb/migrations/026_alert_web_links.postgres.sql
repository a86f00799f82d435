-- Alerts recorded before 025 linked to JSON routes (/api/...): the route moves to the api column and
-- the link becomes the web app's page for the same thing (src/monitoring/alert-links.ts); a link
-- with no page of its own opens the alert in the inbox. Run again on a restore's rows (ROW_MIGRATIONS).
-- PostgreSQL; 026_alert_web_links.sqlite.sql is the same for SQLite.
UPDATE alerts SET api = link, link = CASE
    WHEN kind IN ('verdict-change', 'reassessment-due') AND (evidence::json ->> 'case') IS NOT NULL THEN '/#/cases/' || (evidence::json ->> 'case')
    WHEN kind = 'knowledge-change' AND (evidence::json ->> 'entry') IS NOT NULL AND link LIKE '%/diff?%' THEN '/#/kb/diff/' || (evidence::json ->> 'entry') || '/' || ((evidence::json ->> 'version')::integer - 1) || '/' || (evidence::json ->> 'version')::integer
    WHEN kind = 'knowledge-change' AND (evidence::json ->> 'entry') IS NOT NULL THEN '/#/kb/entry/' || (evidence::json ->> 'entry')
    WHEN link LIKE '/api/portfolio?file=%' THEN '/#/screen/export/' || substr(link, 21)
    WHEN link LIKE '/api/indicators/works?institution=_%' THEN '/#/screen/portfolio/' || substr(link, 35)
    ELSE '/#/alerts'
  END
WHERE link LIKE '/api/%' AND api IS NULL;
