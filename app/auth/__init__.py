"""Identity: organisations, users and roles, sign-in, invitations, password reset and API tokens."""
