"""Peers, support plans and referrals: lived experience, money beside give-and-get, and sign-off."""
