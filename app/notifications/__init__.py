"""The inbox: every notification a person is sent, and how they like to receive each kind."""
