-- Sessions and login codes grant access but are not decisions, so no audit entry records them:
-- each now carries a MAC under the audit key (outside the database) over who it is for, its CSRF
-- token and its times, and one that does not match logs nobody in — a row written with database
-- access alone is not a login. Those open now cannot be vouched for and end (everyone logs in again).
ALTER TABLE sessions ADD COLUMN mac TEXT;

ALTER TABLE login_codes ADD COLUMN mac TEXT;

DELETE FROM sessions;

DELETE FROM login_codes;
