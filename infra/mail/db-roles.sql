-- Read-only database roles for the mail servers (run as the database owner; set real passwords).
CREATE ROLE postfix LOGIN PASSWORD 'CHANGE_ME';
CREATE ROLE dovecot LOGIN PASSWORD 'CHANGE_ME';
GRANT SELECT (id, name) ON mail_domains TO postfix, dovecot;
GRANT SELECT (mail_domain_id, local_part, email, active) ON mailboxes TO postfix;
GRANT SELECT (mail_domain_id, local_part, email, password_hash, quota_mb, active) ON mailboxes TO dovecot;
