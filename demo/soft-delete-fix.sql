-- Incident 1: in a SQL client, selecting only the first line runs the UPDATE without its WHERE.
-- Backstop splits at semicolons only, so this is one statement: it touches exactly 3 rows.
UPDATE orders SET is_deleted = true

WHERE id IN (1, 2, 3);
