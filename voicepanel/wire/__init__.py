"""The agent socket's hot messages, encoded and decoded by hand: a leaf package that both
the sandbox (server side) and the app's local agent (client side) import. It depends only
on the fishjam SDK's generated messages, never on the app or the sandbox."""
