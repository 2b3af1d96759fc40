"""Dialogs: each validates its fields inline and runs its network action while it waits."""
