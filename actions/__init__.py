"""Rasa custom actions: thin glue between the dialogue and knowledge/ and petitions/."""
