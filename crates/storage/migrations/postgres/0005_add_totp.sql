-- Optional second factor: a TOTP secret (hex) per user, set with `lantern user totp NAME`.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
