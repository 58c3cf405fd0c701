"""Privacy rights: a person's export of everything held about them, and their erasure."""
