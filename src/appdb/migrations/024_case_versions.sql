-- A case's version counts the edits of its content (title and document), not its verdicts. An edit
-- names the version it started from, so that two people editing one case at once cannot silently
-- undo each other's change (CaseService.update). Cases stored before start at version 1.
ALTER TABLE cases ADD COLUMN version BIGINT DEFAULT 1;
