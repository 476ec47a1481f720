"""Photoshare's user model: people sign in with an e-mail address; there are no usernames."""
