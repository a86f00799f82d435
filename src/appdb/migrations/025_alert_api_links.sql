-- An alert's link is the page an officer opens (the web app's view of the case, entry or
-- portfolio); the JSON route machines read is kept beside it, in its own column.
ALTER TABLE alerts ADD COLUMN api TEXT;
